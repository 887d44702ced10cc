package metrics

import _ "embed" // the schema file ships inside the package

// JSONSchema is the JSON Schema (draft 2020-12) of a table's JSON: what
// Table.WriteWith writes in JSON, with or without the rows' state, and what
// the command line's --format json prints around it (`deploysim schema`
// prints this). Scripts can validate deploysim's output against it; a test
// validates real output with it. The file is metrics/schema.json.
//
//go:embed schema.json
var JSONSchema string
