module sidecar-injector.dev/test/goclient

go 1.26
