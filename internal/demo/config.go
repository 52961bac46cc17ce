package demo

import _ "embed"

// Config is the embedded demo configuration: one menu answering any number,
// queues support and sales, served on 127.0.0.1 with data under ./data.
//
//go:embed contactd.yaml
var Config []byte
