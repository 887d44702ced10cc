package observe

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addFiles(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// fitAll runs Fit on what a parser returned: no input may make either panic.
func fitAll(ss []Series) {
	c, err := Fit(ss, Options{Loop: true})
	if err == nil {
		_ = c.Trace()
	}
}

func FuzzReadCloudWatch(f *testing.F) {
	addFiles(f, "get-metric-data.json", "get-metric-statistics.json", "apigateway.json", "get-metric-data-versions.json")
	f.Add([]byte(`{"MetricDataResults":[{"Id":"inv","Timestamps":["2024-05-01T10:00:00Z"],"Values":[1e308]}]}{"Label":"Errors","Datapoints":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ss, _, err := ReadCloudWatch(bytes.NewReader(b), "fuzz.json")
		if err != nil {
			if len(err.Error()) > 400 {
				t.Fatalf("error of %d bytes: %.100s", len(err.Error()), err)
			}
			return
		}
		fitAll(ss)
	})
}

func FuzzReadPrometheus(f *testing.F) {
	addFiles(f, "prometheus.json")
	f.Add([]byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"NaN"],[2,"1"]]}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ss, _, err := ReadPrometheus(bytes.NewReader(b), "fuzz.json")
		if err != nil {
			if len(err.Error()) > 400 {
				t.Fatalf("error of %d bytes: %.100s", len(err.Error()), err)
			}
			return
		}
		fitAll(ss)
	})
}

func FuzzReadCSV(f *testing.F) {
	addFiles(f, "per-minute.csv")
	f.Add([]byte("time,invocations\n1714557600000,3\n# c\n\n2024-05-01T10:01:00.5+02:00,4\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ReadCSV(bytes.NewReader(b), "fuzz.csv")
		if err != nil {
			if len(err.Error()) > 400 {
				t.Fatalf("error of %d bytes: %.100s", len(err.Error()), err)
			}
			return
		}
		fitAll([]Series{s})
	})
}

// The Azure reader is fuzzed on a line of names and counts after a valid
// header (a random header is refused at once).
func FuzzReadAzure(f *testing.F) {
	f.Add("o,a,f,http,", "1,2,3", "rank:1")
	f.Add("o,a,f,http,", strings.Repeat("1,", 1439)+"2", "f")
	f.Add("o,a,f,http,", strings.Repeat("1,", 1440)+"2", "busiest")
	f.Add("o,a,f,http,", strings.Repeat("x,", 1439)+"2", "rank:2")
	f.Fuzz(func(t *testing.T, names, counts, pick string) {
		p, err := ParsePick(pick)
		if err != nil {
			return
		}
		var b bytes.Buffer
		b.WriteString("HashOwner,HashApp,HashFunction,Trigger")
		for i := 1; i <= AzureMinutes; i++ {
			b.WriteString(",")
			b.WriteString(itoa(i))
		}
		b.WriteString("\n" + names + counts + "\n" + names + counts)
		fn, err := ReadAzureInvocations(&b, "fuzz.d01.csv", p)
		if err != nil {
			if len(err.Error()) > 400 {
				t.Fatalf("error of %d bytes: %.100s", len(err.Error()), err)
			}
			return
		}
		if len(fn.Counts) != AzureMinutes {
			t.Fatalf("%d counts", len(fn.Counts))
		}
		fitAll([]Series{fn.Series("fuzz")})
	})
}

func itoa(i int) string {
	var b [8]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

func FuzzReadQueries(f *testing.F) {
	addFiles(f, "queries.json")
	f.Add([]byte(`[{"Id":"a","MetricStat":{"Metric":{"Namespace":"AWS/Lambda","MetricName":"Errors","Dimensions":[{"Name":"ExecutedVersion","Value":"3"}]},"Stat":"Sum"}},{"Id":"b","Expression":"a*2"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		qs, err := ReadQueries(bytes.NewReader(b), "fuzz.json")
		if err != nil {
			if len(err.Error()) > 400 {
				t.Fatalf("error of %d bytes: %.100s", len(err.Error()), err)
			}
			return
		}
		ss := []Series{{id: "a", Points: []Point{{V: 1}}}, {id: "b", Points: []Point{{V: 1}}}}
		applyQueries(ss, qs)
		fitAll(ss)
	})
}
