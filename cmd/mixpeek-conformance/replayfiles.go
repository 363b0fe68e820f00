package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
	"github.com/mixpeekkit/mixpeekkit/recording"
)

// recordingList is the value of -recording: the flag may be given several times, each value a
// comma-separated list of files and directories.
type recordingList []string

func (l *recordingList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *recordingList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// recordingFile is a recording to replay: its path, and the label that names it in the IDs of
// the report's results (its base name, or the end of its path when two files share a base
// name).
type recordingFile struct {
	path, label string
}

// recordingFiles is the files -recording names, in the order given: a file as it is, a
// directory as every *.json file in it (so every *.recording.json), sorted by name, its
// subdirectories not read. A file named twice (itself and through its directory) is replayed
// once. A directory without a *.json file is an error.
func recordingFiles(paths []string) ([]recordingFile, error) {
	var out []recordingFile
	seen := map[string]bool{}
	add := func(path string) {
		key := filepath.Clean(path)
		if abs, err := filepath.Abs(path); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, recordingFile{path: path})
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("-recording: %w", err)
		}
		if !info.IsDir() {
			add(p)
			continue
		}
		entries, err := os.ReadDir(p) // sorted by name
		if err != nil {
			return nil, fmt.Errorf("-recording: %w", err)
		}
		found := false
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
				add(filepath.Join(p, e.Name()))
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("-recording %s: the directory holds no *.json file", p)
		}
	}
	labelled(out)
	return out, nil
}

// labelled gives each file that shares its base name with another the shortest end of its
// path that no other file's path ends with: testdata/x.json and other/x.json.
func labelled(files []recordingFile) {
	parts := make([][]string, len(files))
	for i, f := range files {
		parts[i] = strings.Split(filepath.ToSlash(filepath.Clean(f.path)), "/")
	}
	end := func(i, n int) string { return strings.Join(parts[i][max(0, len(parts[i])-n):], "/") }
	for i := range files {
		for n := 1; n <= len(parts[i]); n++ {
			files[i].label = end(i, n)
			shared := false
			for j := range files {
				shared = shared || (j != i && end(j, n) == files[i].label)
			}
			if !shared {
				break
			}
		}
	}
}

// readRecording reads and parses the recording at path, read through a reader bounded by
// recfmt.MaxFileSize: a larger file is refused.
func readRecording(path string) (*recording.Recording, error) {
	data, err := readBounded(path, recfmt.MaxFileSize, "a recording")
	if err != nil {
		return nil, fmt.Errorf("-recording: %w", err)
	}
	rec, err := recording.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("-recording %s: %w", path, err)
	}
	return rec, nil
}

// checkRecordings reads every recording before any is replayed, so that one that cannot be
// read stops the command before a request is sent; the error names each such file, one a
// line. The recordings are not kept (each may take hundreds of MB to hold): the replay reads
// each again when its turn comes.
func checkRecordings(files []recordingFile) error {
	var errs []error
	for _, f := range files {
		if _, err := readRecording(f.path); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// fileID is the ID of a result of the replay of a recording in the report of several:
// replay/<label>/<the ID the replay gave it, without its replay/>.
func fileID(label, id string) string {
	return "replay/" + label + "/" + strings.TrimPrefix(id, "replay/")
}

// merge adds the report of the replay of one recording to the report of all of them: its
// results under IDs that name the file, its counts, its prefix, and what it left behind or
// asked again (each line of the leftovers and the retries naming the file).
func merge(all, one *conformance.Report, label string) {
	if all.BaseURL == "" {
		all.BaseURL = one.BaseURL
	}
	if one.Prefix != "" && !slices.Contains(strings.Split(all.Prefix, ", "), one.Prefix) {
		all.Prefix = strings.TrimPrefix(all.Prefix+", "+one.Prefix, ", ")
	}
	for _, r := range one.Results {
		r.ID = fileID(label, r.ID)
		all.Results = append(all.Results, r)
	}
	for _, l := range one.Leftovers {
		all.Leftovers = append(all.Leftovers, label+": "+l)
	}
	for _, r := range one.Retries {
		all.Retries = append(all.Retries, label+": "+r)
	}
	all.Revoked = append(all.Revoked, one.Revoked...)
	slices.Sort(all.Revoked)
	all.Passed += one.Passed
	all.Failed += one.Failed
	all.Skipped += one.Skipped
}
