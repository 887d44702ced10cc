package manifest

// ReadAll reads several files whose contents the caller has read already
// (names[i] names datas[i] in errors and warnings) together, as ReadFiles
// does: a caller that bounds what it reads (deploysim evaluate checks each
// file's size as it opens it, and their total) then parses the same way.
func (o Options) ReadAll(names []string, datas [][]byte) ([]*File, error) {
	return o.readAll(names, datas)
}
