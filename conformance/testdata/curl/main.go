// Command curl is the part of curl a failure's reproduction uses (-sS, -X, -H, -d, a URL),
// for the test that pastes one into sh on a machine that may have no curl.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	method, url, body := "", "", ""
	header := http.Header{}
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-sS":
		case "-X":
			i++
			method = args[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(args[i], ": ")
			header.Add(k, v)
		case "-d":
			i++
			body = args[i]
			if method == "" {
				method = "POST"
			}
		default:
			url = a
		}
	}
	if method == "" {
		method = "GET"
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		fmt.Fprintln(os.Stderr, "curl:", err)
		os.Exit(3)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "curl:", err)
		os.Exit(7)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(os.Stdout, resp.Body)
}
