package mixpeekkit_test

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit"
)

var updateAPI = flag.Bool("update-api", false, "rewrite testdata/api from go doc -all (go test -run API -update-api)")

// The budget of the public surface: names (types, functions, methods, fields, constants,
// variables) and lines of go doc -all, over every public package; and mockserver's fields and
// methods, the part of the surface that grows with each feature. (The surface was cut to 250
// names; Report.Revoked, Report.Retries and Sweep came after, with the suite's care for a
// shared staging, and Fault.RetryAfterS and JournalEntry.OutsideContract, with the faults a
// client's retry logic meets; Options.AllowedHosts, MaxTenants and RecordingBytes and their
// defaults, with the budgets of what a client can make the mock hold.)
const (
	maxNames                 = 260
	maxDocLines              = 900
	maxMockserverFieldMethod = 100
)

// publicPackages are the directories of the packages a user can import: every package of the
// module but the internal ones, the commands and the examples.
func publicPackages(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch {
			case path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata"),
				path == "internal", path == "cmd", path == "examples":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			if dir := filepath.Dir(path); !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// goldenName is the golden file of a package directory: testdata/api/mockserver.mockservertest.txt.
func goldenName(dir string) string {
	name := "mixpeekkit"
	if dir != "." {
		name = strings.ReplaceAll(filepath.ToSlash(dir), "/", ".")
	}
	return filepath.Join("testdata", "api", name+".txt")
}

// The public surface is what the committed golden files say, package by package, so a change
// to it is a reviewed diff; and it keeps within its budget.
func TestAPI(t *testing.T) {
	dirs := publicPackages(t)
	names, lines := 0, 0
	for _, dir := range dirs {
		out, err := exec.Command("go", "doc", "-all", "./"+filepath.ToSlash(dir)).CombinedOutput()
		if err != nil {
			t.Fatalf("go doc -all ./%s: %v\n%s", dir, err, out)
		}
		golden := goldenName(dir)
		if *updateAPI {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, out, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Errorf("package ./%s has no golden file %s (go test -run API -update-api writes it): %v", dir, golden, err)
		} else if !bytes.Equal(out, want) {
			t.Errorf("the public surface of ./%s differs from %s: review the change, then go test -run API -update-api", dir, golden)
		}
		n, fieldsMethods := countExported(t, dir)
		names += n
		lines += bytes.Count(out, []byte("\n"))
		t.Logf("%-32s %3d names, %4d doc lines", "./"+filepath.ToSlash(dir), n, bytes.Count(out, []byte("\n")))
		if dir == "mockserver" && fieldsMethods > maxMockserverFieldMethod {
			t.Errorf("mockserver exports %d fields and methods, more than %d", fieldsMethods, maxMockserverFieldMethod)
		}
	}
	// Every golden file is of a public package: one left over names a package that went.
	files, _ := filepath.Glob(filepath.Join("testdata", "api", "*.txt"))
	for _, f := range files {
		if !slices.ContainsFunc(dirs, func(d string) bool { return goldenName(d) == f }) {
			t.Errorf("%s is the golden file of no public package: remove it", f)
		}
	}
	t.Logf("in all: %d names, %d doc lines", names, lines)
	if names > maxNames || lines > maxDocLines {
		t.Errorf("the public surface is %d names and %d doc lines, over its budget of %d and %d", names, lines, maxNames, maxDocLines)
	}
}

// countExported counts the exported names of the package in dir as go doc shows them (types,
// functions, methods, struct fields, embedded ones too, constants and variables), and of
// them the fields and methods.
func countExported(t *testing.T, dir string) (names, fieldsMethods int) {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	d, err := doc.NewFromFiles(fset, files, "example.com/"+dir)
	if err != nil {
		t.Fatal(err)
	}
	values := func(vs []*doc.Value) (n int) {
		for _, v := range vs {
			for _, spec := range v.Decl.Specs {
				for _, id := range spec.(*ast.ValueSpec).Names {
					if id.IsExported() {
						n++
					}
				}
			}
		}
		return n
	}
	names = values(d.Consts) + values(d.Vars) + len(d.Funcs)
	for _, typ := range d.Types {
		names += 1 + values(typ.Consts) + values(typ.Vars) + len(typ.Funcs) + len(typ.Methods)
		fieldsMethods += len(typ.Methods)
		if st, ok := typ.Decl.Specs[0].(*ast.TypeSpec).Type.(*ast.StructType); ok {
			for _, f := range st.Fields.List {
				if len(f.Names) == 0 { // embedded: exported when its type is
					if exportedType(f.Type) {
						names, fieldsMethods = names+1, fieldsMethods+1
					}
					continue
				}
				for _, id := range f.Names {
					if id.IsExported() {
						names, fieldsMethods = names+1, fieldsMethods+1
					}
				}
			}
		}
	}
	return names, fieldsMethods
}

func exportedType(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.StarExpr:
		return exportedType(x.X)
	case *ast.SelectorExpr:
		return x.Sel.IsExported()
	case *ast.Ident:
		return x.IsExported()
	}
	panic(fmt.Sprintf("an embedded field of type %T", e))
}

// go doc of OperationID shows every operation's constant, not the first one and "...".
func TestGoDocListsEveryOperation(t *testing.T) {
	out, err := exec.Command("go", "doc", ".", "OperationID").CombinedOutput()
	if err != nil {
		t.Fatalf("go doc: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "...") {
		t.Errorf("go doc hides constants behind ...:\n%s", out)
	}
	for _, op := range mixpeekkit.Operations() {
		if !strings.Contains(string(out), string(op)) {
			t.Errorf("go doc . OperationID does not show %s:\n%s", op, out)
		}
	}
}
