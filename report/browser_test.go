package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browserPath finds a Chromium to drive: $DEPLOYSIM_BROWSER, else Debian's
// chromium-headless-shell or chromium, else Google Chrome.
func browserPath() string {
	if p := os.Getenv("DEPLOYSIM_BROWSER"); p != "" {
		return p
	}
	for _, name := range []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	for _, p := range []string{"/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser opens the HTML report in a real browser: the page loads with
// no console error and no network request, every chart has a non-zero
// rendered size, and a screenshot is written ($REPORT_SCREENSHOT, or
// report.png in a temporary folder, named in the log) for a person to look
// at. The page itself has no script; the test's own probes run through the
// DevTools protocol.
func TestBrowser(t *testing.T) {
	bin := browserPath()
	if bin == "" {
		t.Skip("no Chromium found: install Debian's chromium-headless-shell (apt-get install -y chromium-headless-shell) or set DEPLOYSIM_BROWSER to a Chromium binary")
	}
	if testing.Short() {
		t.Skip("-short: the browser test starts Chromium")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := sampleReport(t).Save(page); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	url := "file://" + page
	var mu sync.Mutex
	var problems, requests []string
	chromedp.ListenTarget(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if e.Request.URL != url && !strings.HasPrefix(e.Request.URL, "data:") {
				requests = append(requests, e.Request.URL)
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeWarning {
				problems = append(problems, "console "+string(e.Type))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.LevelError {
				problems = append(problems, "log: "+e.Entry.Text)
			}
		}
	})
	var sizes [][2]float64
	var shot []byte
	err := chromedp.Run(ctx,
		network.Enable(), log.Enable(), runtime.Enable(),
		chromedp.Navigate(url),
		chromedp.WaitReady("body"),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("figure.chart svg")).map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })`, &sizes),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("driving %s: %v", bin, err)
	}
	out := os.Getenv("REPORT_SCREENSHOT")
	if out == "" {
		out = filepath.Join(dir, "report.png")
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(shot))
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("console: %v", problems)
	}
	if len(requests) > 0 {
		t.Errorf("the page made network requests: %v", requests)
	}
	if len(sizes) != 4 {
		t.Errorf("%d charts rendered, want 4", len(sizes))
	}
	for i, s := range sizes {
		if s[0] <= 100 || s[1] <= 50 {
			t.Errorf("chart %d rendered %v × %v px", i, s[0], s[1])
		}
	}
}
