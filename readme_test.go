package mixpeekkit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// exported lists the exported names of the package in dir: top-level declarations, and the
// methods and fields of each type as "Type.Name".
func exported(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string]bool{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					out[d.Name.Name] = true
					continue
				}
				recv := d.Recv.List[0].Type
				if star, ok := recv.(*ast.StarExpr); ok {
					recv = star.X
				}
				if id, ok := recv.(*ast.Ident); ok {
					out[id.Name+"."+d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							out[n.Name] = true
						}
					case *ast.TypeSpec:
						out[s.Name.Name] = true
						if st, ok := s.Type.(*ast.StructType); ok {
							for _, field := range st.Fields.List {
								for _, n := range field.Names {
									out[s.Name.Name+"."+n.Name] = true
								}
							}
						}
					}
				}
			}
		}
	}
	return out
}

// The README's Go examples use only the API that exists: every package-qualified name, and
// every method or field called on a mock, is declared.
func TestReadmeGoExamplesUseTheAPI(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{
		"mixpeekkit": ".", "mockserver": "mockserver", "mockservertest": "mockserver/mockservertest",
		"fixtures": "fixtures", "golden": "fixtures/golden", "conformance": "conformance",
	}
	api := map[string]map[string]bool{}
	for pkg, dir := range dirs {
		api[pkg] = exported(t, dir)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 5 {
		t.Fatalf("found %d Go blocks in README.md", len(blocks))
	}
	qualified := regexp.MustCompile(`\b(mixpeekkit|mockserver|mockservertest|fixtures|golden|conformance)\.([A-Z]\w*)`)
	onMock := regexp.MustCompile(`\bmock\.([A-Z]\w*)`)
	checked := 0
	for _, b := range blocks {
		for _, m := range qualified.FindAllStringSubmatch(b[1], -1) {
			checked++
			if !api[m[1]][m[2]] {
				t.Errorf("README.md uses %s.%s, which package %s does not declare", m[1], m[2], m[1])
			}
		}
		for _, m := range onMock.FindAllStringSubmatch(b[1], -1) {
			checked++
			if !api["mockserver"]["Server."+m[1]] && !api["mockservertest"]["Server."+m[1]] {
				t.Errorf("README.md calls mock.%s, which neither mockserver.Server nor mockservertest.Server has", m[1])
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d names checked: the patterns no longer find the examples", checked)
	}
}

// Every test, fuzz target and benchmark the README names exists.
func TestReadmeNamesExistingTests(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	err = filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return err
		}
		src, err := os.ReadFile(p)
		for _, m := range regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)\w+)\(`).FindAllSubmatch(src, -1) {
			declared[string(m[1])] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile("`((?:Test|Fuzz|Benchmark)[A-Z]\\w*)`").FindAllStringSubmatch(string(readme), -1)
	if len(named) < 10 {
		t.Fatalf("the README names %d tests: the pattern no longer finds them", len(named))
	}
	for _, m := range named {
		if !declared[m[1]] {
			t.Errorf("README.md names %s, which no test file declares", m[1])
		}
	}
}

// Every file or folder of this repository the README points at exists in a clone.
func TestReadmePointsAtFilesThatExist(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	prose := regexp.MustCompile("(?s)```.*?```").ReplaceAllString(string(readme), "")
	paths := regexp.MustCompile("`([a-z][a-z0-9_./-]*(?:\\.(?:go|md|yaml|yml|json|sh)|/))`").FindAllStringSubmatch(prose, -1)
	links := regexp.MustCompile(`\]\(([a-z][a-z0-9_./-]*\.(?:md|yaml|go))(?:#[a-z0-9-]*)?\)`).FindAllStringSubmatch(prose, -1)
	if len(paths) < 10 {
		t.Fatalf("found %d paths in README.md: the pattern no longer finds them", len(paths))
	}
	for _, m := range append(paths, links...) {
		p := strings.TrimSuffix(m[1], "/")
		if !strings.Contains(p, "/") || strings.HasPrefix(p, "v1/") {
			continue // a bare file name, read in its context, or a URL path
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("README.md points at %s, which is not in the repository", m[1])
		}
	}
}
