module github.com/sttbench/sttbench

go 1.25.0

require (
	github.com/coder/websocket v1.8.14
	github.com/gocarina/gocsv v0.0.0-20240520201108-78e41c74b4b1
	github.com/mewkiz/flac v1.0.14
	github.com/stretchr/testify v1.11.1
	golang.org/x/text v0.40.0
	gonum.org/v1/gonum v0.17.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/icza/bitio v1.1.0 // indirect
	github.com/mewkiz/pkg v0.0.0-20250417130911-3f050ff8c56d // indirect
	github.com/mewpkg/term v0.0.0-20241026122259-37a80af23985 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
)
