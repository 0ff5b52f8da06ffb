// A client that posts bodies the way the Kubernetes API server posts AdmissionReviews to a
// webhook: Go's net/http over HTTP/1.1 and TLS, the body sent with a Content-Length. It posts a
// body of each size N times and prints one JSON line per attempt: the status and the response
// body it read, or the error it got instead (`write: broken pipe`, `connection reset by peer`).
//
//	goclient -url https://127.0.0.1:8443/mutate -ca ca.crt -sizes 3250586,16777216 -tries 20
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

type attempt struct {
	Size   int    `json:"size"`
	Try    int    `json:"try"`
	Status int    `json:"status,omitempty"`
	Body   string `json:"body,omitempty"`
	Error  string `json:"error,omitempty"`
}

func main() {
	url := flag.String("url", "", "URL to POST to")
	caFile := flag.String("ca", "", "PEM file of the CA that signed the server's certificate")
	sizes := flag.String("sizes", "", "comma-separated body sizes in bytes")
	tries := flag.Int("tries", 10, "attempts per size")
	keepAlive := flag.Bool("keep-alive", false, "reuse connections between attempts, as the API server's pool does")
	flag.Parse()

	pem, err := os.ReadFile(*caFile)
	if err != nil {
		fail("reading -ca: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		fail("-ca %s holds no certificate", *caFile)
	}
	transport := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DisableKeepAlives: !*keepAlive,
	}
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}
	out := json.NewEncoder(os.Stdout)

	for _, field := range strings.Split(*sizes, ",") {
		size, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil {
			fail("-sizes: %q is not a number", field)
		}
		// A JSON string of the given size: what is in it does not matter to a 413.
		body := bytes.Repeat([]byte("x"), size)
		body[0], body[size-1] = '"', '"'
		for try := 1; try <= *tries; try++ {
			result := attempt{Size: size, Try: try}
			response, err := client.Post(*url, "application/json", bytes.NewReader(body))
			if err != nil {
				result.Error = err.Error()
			} else {
				text, readErr := io.ReadAll(response.Body)
				response.Body.Close()
				result.Status = response.StatusCode
				result.Body = string(text)
				if readErr != nil {
					result.Error = "reading the response: " + readErr.Error()
				}
			}
			if err := out.Encode(result); err != nil {
				fail("writing: %v", err)
			}
		}
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "goclient: "+format+"\n", args...)
	os.Exit(2)
}
