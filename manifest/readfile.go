package manifest

import (
	"fmt"
	"io"
	"os"
)

// readFile reads the file at path for ReadFile and ReadFiles, refusing one
// larger than maxInput as it is opened: a regular file by its size, before
// a byte is read (a 1 TiB file was read 8 MiB deep, and ReadFiles read
// every path so before checking any); a directory at once; a device, pipe
// or growing file after at most maxInput+1 bytes, so that /dev/zero cannot
// hold more memory than an accepted file.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if st.IsDir() {
		return nil, &Error{File: path, Err: fmt.Errorf("is a directory: must be a file")}
	}
	if st.Mode().IsRegular() && st.Size() > maxInput {
		return nil, tooLarge(path, fmt.Sprintf("%d bytes", st.Size()))
	}
	return readBounded(path, f)
}

// readBounded reads r whole, or fails once it has given more than maxInput
// bytes: it reads at most maxInput+1.
func readBounded(name string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("manifest: %s: %w", name, err)
	}
	if len(data) > maxInput {
		return nil, tooLarge(name, fmt.Sprintf("more than %d bytes (it did not end there)", maxInput))
	}
	return data, nil
}

// tooLarge is the error for a file of size (in words) over maxInput.
func tooLarge(name, size string) error {
	return &Error{File: name, Err: fmt.Errorf("file is %s: must be at most %d bytes (8 MiB; rollout configurations are kilobytes)", size, maxInput)}
}
