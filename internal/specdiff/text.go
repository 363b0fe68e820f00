package specdiff

import (
	"cmp"
	"fmt"
	"io"
	"strings"
)

// WriteText writes r for a terminal, what needs a look first: each UNEXPLAINED difference,
// then each STALE entry of the allow-list; then the explained differences and the notes of
// the allow-list, each with its reason when verbose, else only counted; then the summary line.
func WriteText(w io.Writer, r Result, verbose bool) error {
	var b strings.Builder
	for _, d := range r.Differences {
		if d.Reason == "" {
			fmt.Fprintf(&b, "UNEXPLAINED %s\n", d.Difference)
		}
	}
	for _, a := range r.Stale {
		fmt.Fprintf(&b, "STALE       allow-list entry %s (%s) explains no difference: remove it\n", a.Pointer, cmp.Or(a.Kind, "any kind"))
	}
	explained := len(r.Differences) - r.Unexplained()
	switch {
	case verbose:
		for _, d := range r.Differences {
			if d.Reason != "" {
				fmt.Fprintf(&b, "explained   %s\n            because %s\n", d.Difference, d.Reason)
			}
		}
		for _, a := range r.Notes {
			fmt.Fprintf(&b, "noted       %s\n            because %s\n", a.Pointer, a.Reason)
		}
	case explained > 0 || len(r.Notes) > 0:
		var parts []string
		if explained > 0 {
			parts = append(parts, counted(explained, "explained difference"))
		}
		if len(r.Notes) > 0 {
			parts = append(parts, counted(len(r.Notes), "note")+" of the allow-list")
		}
		fmt.Fprintf(&b, "%s, not listed (-v lists them, with their reasons)\n", strings.Join(parts, " and "))
	}
	fmt.Fprintf(&b, "%d differences: %d explained, %d unexplained; %d stale allow-list entries\n",
		len(r.Differences), explained, r.Unexplained(), len(r.Stale))
	_, err := io.WriteString(w, b.String())
	return err
}

// counted is "1 note", "2 notes".
func counted(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
