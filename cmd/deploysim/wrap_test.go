package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/deploysim/deploysim/rollback"
)

// The flags' errors wrap the library's (%w), so that a caller of the
// command's functions can still tell a rollback.ConfigError from the rest.
func TestFlagErrorsWrap(t *testing.T) {
	fs := pflag.NewFlagSet("compare", pflag.ContinueOnError)
	so := addScenarioFlags(fs)
	if err := fs.Parse([]string{"--alarm", "MetricName=Errors,Threshold=1,EvaluationPeriods=2,DatapointsToAlarm=3"}); err != nil {
		t.Fatal(err)
	}
	_, err := so.config(strings.NewReader(""))
	var ce *rollback.ConfigError
	if !errors.As(err, &ce) || ce.Field != "DatapointsToAlarm" || !strings.HasPrefix(err.Error(), "--alarm ") {
		t.Errorf("config() = %v, want an --alarm error wrapping the rollback.ConfigError of DatapointsToAlarm", err)
	}
}
