//go:build tools

// Package tools names the command kwok.sh compiles, so that `go mod tidy` keeps its dependencies.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
