package mixpeekkit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
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

// page is a page of the documentation: the README or one of docs/.
type page struct {
	name, dir string // the file, and the folder its links are relative to
	text      string
}

// pages are the README and every page of docs/: the tests of the documentation follow the
// snippets and the paths wherever they go.
func pages(t *testing.T) []page {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []page
	for _, name := range append([]string{"README.md"}, names...) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page{name: name, dir: filepath.Dir(name), text: string(data)})
	}
	if len(out) < 5 {
		t.Fatalf("%d pages of documentation", len(out))
	}
	return out
}

// The Go examples of the documentation use only the API that exists: every package-qualified
// name, and every method or field called on a mock, is declared.
func TestDocsGoExamplesUseTheAPI(t *testing.T) {
	dirs := map[string]string{
		"mixpeekkit": ".", "mockserver": "mockserver", "mockservertest": "mockserver/mockservertest",
		"fixtures": "fixtures", "golden": "fixtures/golden", "conformance": "conformance", "recording": "recording",
	}
	api := map[string]map[string]bool{}
	for pkg, dir := range dirs {
		api[pkg] = exported(t, dir)
	}
	qualified := regexp.MustCompile(`\b(mixpeekkit|mockserver|mockservertest|fixtures|golden|conformance|recording)\.([A-Z]\w*)`)
	onMock := regexp.MustCompile(`\bmock\.([A-Z]\w*)`)
	blocks, checked := 0, 0
	for _, p := range pages(t) {
		for _, b := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(p.text, -1) {
			blocks++
			for _, m := range qualified.FindAllStringSubmatch(b[1], -1) {
				checked++
				if !api[m[1]][m[2]] {
					t.Errorf("%s uses %s.%s, which package %s does not declare", p.name, m[1], m[2], m[1])
				}
			}
			for _, m := range onMock.FindAllStringSubmatch(b[1], -1) {
				checked++
				if !api["mockserver"]["Server."+m[1]] && !api["mockservertest"]["Server."+m[1]] {
					t.Errorf("%s calls mock.%s, which neither mockserver.Server nor mockservertest.Server has", p.name, m[1])
				}
			}
		}
	}
	if blocks < 8 || checked < 20 {
		t.Errorf("%d Go blocks, %d names checked: the patterns no longer find the examples", blocks, checked)
	}
}

// Every test, fuzz target and benchmark the documentation names exists.
func TestDocsNameExistingTests(t *testing.T) {
	declared := map[string]bool{}
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
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
	named := 0
	for _, p := range pages(t) {
		for _, m := range regexp.MustCompile("`((?:Test|Fuzz|Benchmark)[A-Z]\\w*)`").FindAllStringSubmatch(p.text, -1) {
			named++
			if !declared[m[1]] {
				t.Errorf("%s names %s, which no test file declares", p.name, m[1])
			}
		}
	}
	if named < 10 {
		t.Fatalf("the pages name %d tests: the pattern no longer finds them", named)
	}
}

// Every file or folder of this repository the documentation points at exists in a clone: a
// path in backquotes is the repository's, a link is relative to its page.
func TestDocsPointAtFilesThatExist(t *testing.T) {
	found := 0
	for _, p := range pages(t) {
		prose := regexp.MustCompile("(?s)```.*?```").ReplaceAllString(p.text, "")
		for _, m := range regexp.MustCompile("`([a-z][a-z0-9_./-]*(?:\\.(?:go|md|yaml|yml|json|sh)|/))`").FindAllStringSubmatch(prose, -1) {
			path := strings.TrimSuffix(m[1], "/")
			if !strings.Contains(path, "/") || strings.HasPrefix(path, "v1/") {
				continue // a bare file name, read in its context, or a URL path
			}
			found++
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s points at %s, which is not in the repository", p.name, m[1])
			}
		}
		for _, m := range regexp.MustCompile(`\]\(([a-zA-Z.][a-zA-Z0-9_./-]*\.(?:md|yaml|go|sh|py|json))(?:#([a-z0-9_-]*))?\)`).FindAllStringSubmatch(prose, -1) {
			found++
			target := filepath.Join(p.dir, m[1])
			data, err := os.ReadFile(target)
			if err != nil {
				t.Errorf("%s links to %s, which is not in the repository", p.name, m[1])
				continue
			}
			if anchor := m[2]; anchor != "" && strings.HasSuffix(target, ".md") && !slices.Contains(anchors(string(data)), anchor) {
				t.Errorf("%s links to %s#%s, which has no such heading", p.name, m[1], anchor)
			}
		}
		for _, m := range regexp.MustCompile(`\]\(#([a-z0-9_-]+)\)`).FindAllStringSubmatch(prose, -1) {
			found++
			if !slices.Contains(anchors(p.text), m[1]) {
				t.Errorf("%s links to #%s, which is no heading of its own", p.name, m[1])
			}
		}
	}
	if found < 30 {
		t.Fatalf("found %d paths and links: the patterns no longer find them", found)
	}
}

// anchors are the anchors GitHub makes of a page's headings: lower case, punctuation but - and
// _ dropped, spaces to dashes.
func anchors(text string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^#+ (.*)$`).FindAllStringSubmatch(regexp.MustCompile("(?s)```.*?```").ReplaceAllString(text, ""), -1) {
		a := strings.Map(func(r rune) rune {
			switch {
			case r == ' ':
				return '-'
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				return unicode.ToLower(r)
			}
			return -1
		}, m[1])
		out = append(out, a)
	}
	return out
}
