package manifest

import (
	"strings"
	"testing"
)

// Names and contents that do not pair up are the caller's error, said as
// such, not an internal error from an index out of range.
func TestReadAllMismatch(t *testing.T) {
	for _, c := range []struct {
		names []string
		datas [][]byte
	}{
		{[]string{"a.yaml"}, nil},
		{nil, [][]byte{[]byte("a: 1\n")}},
	} {
		_, err := Options{}.ReadAll(c.names, c.datas)
		if err == nil || !strings.Contains(err.Error(), "one name per content") || strings.Contains(err.Error(), "internal") {
			t.Errorf("ReadAll(%d names, %d contents): %v", len(c.names), len(c.datas), err)
		}
	}
}
