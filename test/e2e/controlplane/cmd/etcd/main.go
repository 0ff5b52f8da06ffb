// Command etcd is etcd's own server entry point (go.etcd.io/etcd/server/v3's
// main.go), built here at the version Kubernetes pins in its go.mod.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
