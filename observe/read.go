package observe

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
)

// Format is a kind of input file.
type Format uint8

// The formats ReadFiles tells apart.
const (
	FormatUnknown          Format = iota
	FormatCloudWatch              // aws cloudwatch get-metric-data or get-metric-statistics JSON
	FormatPrometheus              // /api/v1/query_range JSON
	FormatAzureInvocations        // invocations_per_function_md.anon.dNN.csv
	FormatAzureDurations          // function_durations_percentiles.anon.dNN.csv
	FormatCSV                     // timestamp,count
	FormatQueries                 // the --metric-data-queries JSON of get-metric-data
)

var formatNames = [...]string{"unknown", "cloudwatch", "prometheus", "azure-invocations", "azure-durations", "csv", "queries"}

// String names the format.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", f)
}

// Sniff tells the format from the first bytes of a file (up to 4 kB are
// enough): a JSON list is a --metric-data-queries file; a JSON object is Prometheus when it has "resultType" or starts
// with "status", CloudWatch otherwise; a CSV is the Azure trace when its
// header starts HashOwner,HashApp,HashFunction, else a per-minute CSV.
func Sniff(head []byte) Format {
	b := bytes.TrimLeft(head, " \t\r\n\ufeff")
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if len(b) == 0 {
		return FormatUnknown
	}
	if b[0] == '[' {
		return FormatQueries
	}
	if b[0] == '{' {
		if bytes.Contains(b, []byte(`"resultType"`)) || bytes.HasPrefix(bytes.TrimLeft(b[1:], " \t\r\n"), []byte(`"status"`)) {
			return FormatPrometheus
		}
		return FormatCloudWatch
	}
	switch {
	case bytes.HasPrefix(b, []byte("HashOwner,HashApp,HashFunction,Trigger")):
		return FormatAzureInvocations
	case bytes.HasPrefix(b, []byte("HashOwner,HashApp,HashFunction,")):
		return FormatAzureDurations
	}
	return FormatCSV
}

// Data is what ReadFiles read: every series, the Azure function picked (if
// an Azure trace was read), and warnings about what was left out.
type Data struct {
	Series   []Series
	Azure    *AzureFunction
	Warnings []string
	queries  []Query
}

// ReadFiles reads the files at paths, each in the format Sniff finds. An
// Azure durations file needs the invocations file of the same day among
// paths (it is read for the function picked there); pick chooses that
// function (the zero Pick is the busiest). A --metric-data-queries file
// among paths says what each get-metric-data Id measures (by MetricName,
// Stat and the ExecutedVersion dimension), over what Recognise reads from
// the Id and Label.
func ReadFiles(paths []string, pick Pick) (Data, error) {
	if pick.Hash == "" && pick.Rank == 0 {
		pick.Rank = 1
	}
	var d Data
	var durations []string
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return Data{}, fmt.Errorf("observe: %w", err)
		}
		err = d.read(f, p, pick, &durations)
		f.Close()
		if err != nil {
			return Data{}, err
		}
	}
	applyQueries(d.Series, d.queries)
	for _, p := range durations {
		if d.Azure == nil {
			return Data{}, &ParseError{File: p, Rule: "a durations file needs the invocations_per_function_md file of the same day among the inputs (it says which function)"}
		}
		f, err := os.Open(p)
		if err != nil {
			return Data{}, fmt.Errorf("observe: %w", err)
		}
		dur, err := ReadAzureDurations(f, p, *d.Azure)
		f.Close()
		if err != nil {
			return Data{}, err
		}
		d.Series = append(d.Series, dur.Series(p, d.Azure.Series("").Points[0].T)...)
		d.Warnings = append(d.Warnings, fmt.Sprintf("%s: the trace's percentile_Average_P are weighted percentiles of per-interval average durations, not of single invocations: the fitted lognormal's spread (its p99) is a lower bound", p))
	}
	return d, nil
}

// Read reads one file from r (name labels errors), in the format Sniff
// finds; an Azure durations file is refused (it needs ReadFiles).
func Read(r io.Reader, name string, pick Pick) (Data, error) {
	if pick.Hash == "" && pick.Rank == 0 {
		pick.Rank = 1
	}
	var d Data
	var durations []string
	if err := d.read(r, name, pick, &durations); err != nil {
		return Data{}, err
	}
	if len(durations) > 0 {
		return Data{}, &ParseError{File: name, Rule: "a durations file needs the invocations_per_function_md file of the same day (read both with ReadFiles)"}
	}
	applyQueries(d.Series, d.queries)
	return d, nil
}

func (d *Data) read(r io.Reader, name string, pick Pick, durations *[]string) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4096)
	switch Sniff(head) {
	case FormatUnknown:
		return &ParseError{File: name, Rule: "empty file"}
	case FormatCloudWatch:
		ss, w, err := ReadCloudWatch(br, name)
		if err != nil {
			return err
		}
		d.Series, d.Warnings = append(d.Series, ss...), append(d.Warnings, w...)
	case FormatPrometheus:
		ss, w, err := ReadPrometheus(br, name)
		if err != nil {
			return err
		}
		d.Series, d.Warnings = append(d.Series, ss...), append(d.Warnings, w...)
	case FormatAzureInvocations:
		if d.Azure != nil {
			return &ParseError{File: name, Rule: "a second Azure invocations file: calibrate from one day at a time"}
		}
		f, err := ReadAzureInvocations(br, name, pick)
		if err != nil {
			return err
		}
		d.Azure = &f
		d.Series = append(d.Series, f.Series(name))
		d.Warnings = append(d.Warnings, fmt.Sprintf("%s: the Azure trace has no dates and no errors: the day starts at minute 0, and the error rate comes from elsewhere", name))
	case FormatAzureDurations:
		*durations = append(*durations, name)
	case FormatQueries:
		qs, err := ReadQueries(br, name)
		if err != nil {
			return err
		}
		d.queries = append(d.queries, qs...)
	case FormatCSV:
		s, err := ReadCSV(br, name)
		if err != nil {
			return err
		}
		d.Series = append(d.Series, s)
	}
	return nil
}
