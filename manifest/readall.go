package manifest

import "fmt"

// ReadAll reads several files whose contents the caller has read already
// (names[i] names datas[i] in errors and warnings) together, as ReadFiles
// does: a caller that bounds what it reads (deploysim evaluate checks each
// file's size as it opens it, and their total) then parses the same way.
// names and datas must have the same length.
func (o Options) ReadAll(names []string, datas [][]byte) ([]*File, error) {
	if len(names) != len(datas) {
		// Else a missing content surfaced as an "internal error".
		return nil, fmt.Errorf("manifest: ReadAll: %d names for %d contents: must be one name per content", len(names), len(datas))
	}
	return o.readAll(names, datas)
}
