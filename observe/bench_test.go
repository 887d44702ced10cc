package observe

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// writeAzureDay writes a day file of the Azure trace's shape: functions
// lines of 4 hashes and 1,440 counts, most functions quiet (counts of 0–2),
// one in twenty busy (tens to thousands a minute), as in the real trace
// where a few functions carry most invocations. About 3 kB a line.
func writeAzureDay(tb testing.TB, path string, functions int) int64 {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("HashOwner,HashApp,HashFunction,Trigger")
	for i := 1; i <= AzureMinutes; i++ {
		w.WriteString("," + strconv.Itoa(i))
	}
	w.WriteByte('\n')
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 0, 16<<10)
	for i := 0; i < functions; i++ {
		buf = buf[:0]
		h := r.Uint64()
		buf = strconv.AppendUint(buf, h, 16)
		buf = append(buf, ',')
		buf = strconv.AppendUint(buf, h>>7, 16)
		buf = append(buf, ',')
		buf = strconv.AppendUint(buf, h>>13|uint64(i), 16)
		buf = append(buf, ",http"...)
		scale := 3
		if i%20 == 0 {
			scale = 2000
		}
		for k := 0; k < AzureMinutes; k++ {
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(r.IntN(scale)), 10)
		}
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	return st.Size()
}

// BenchmarkAzureBusiest reads a generated ~150 MB day (50,000 functions)
// and picks the busiest function: the whole file is parsed.
func BenchmarkAzureBusiest(b *testing.B) {
	path := filepath.Join(b.TempDir(), "invocations_per_function_md.anon.d01.csv")
	size := writeAzureDay(b, path, 50_000)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		fn, err := ReadAzureInvocations(f, path, Pick{Rank: 1})
		f.Close()
		if err != nil || fn.Functions != 50_000 {
			b.Fatal(err, fn.Functions)
		}
	}
	b.ReportMetric(float64(size)/1e6, "file-MB")
}
