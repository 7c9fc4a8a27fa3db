package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

const jsonDocPath = "../../docs/summary-json.md"

// runJSONAt runs the command with -json and the clock at now, which may
// have a fraction of a second as time.Now has, and decodes the output.
func runJSONAt(t *testing.T, now time.Time, args []string, stdin string) map[string]any {
	t.Helper()
	c := &command{
		now:        func() time.Time { return now },
		getenv:     func(string) string { return "" },
		isTerminal: func(io.Writer) bool { return false },
	}
	var stdout, stderr bytes.Buffer
	err := c.run(context.Background(), append([]string{"-json"}, args...), strings.NewReader(stdin), &stdout, &stderr)
	if err != nil && !errors.Is(err, errFailuresFound) {
		t.Fatalf("run: %v; stderr:\n%s", err, stderr.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	return doc
}

// wholeSecondUTC matches an RFC 3339 time in UTC without a fraction.
var wholeSecondUTC = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

func TestJSONBoundsWholeSeconds(t *testing.T) {
	now := time.Date(2026, 11, 28, 22, 4, 47, 103667386, time.UTC)
	line := dailyReport("Google Inc.", "2026-11-27", "", "example.com", 10, 0)
	tests := []struct {
		args      []string
		wantSince any
		wantUntil any
	}{
		{[]string{"-since", "24h"}, "2026-11-27T22:04:47Z", nil},
		{[]string{"-until", "1h"}, nil, "2026-11-28T21:04:48Z"},
		{[]string{"-since", "2026-11-27T12:00:00.5+02:00", "-until", "2026-11-28"}, "2026-11-27T10:00:00Z", "2026-11-29T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			doc := runJSONAt(t, now, append(tt.args, "-"), line)
			if doc["since"] != tt.wantSince {
				t.Errorf("since = %v, want %v", doc["since"], tt.wantSince)
			}
			if doc["until"] != tt.wantUntil {
				t.Errorf("until = %v, want %v", doc["until"], tt.wantUntil)
			}
		})
	}
}

// TestJSONDocExample runs the command on the report that the example in
// docs/summary-json.md describes, so the example stays real output.
func TestJSONDocExample(t *testing.T) {
	text := readJSONDoc(t)
	block := fencedBlock(t, text, "## Example", "```json\n")
	var example map[string]any
	if err := json.Unmarshal([]byte(block), &example); err != nil {
		t.Fatalf("example in %s is not JSON: %v", jsonDocPath, err)
	}
	if since, _ := example["since"].(string); !wholeSecondUTC.MatchString(since) {
		t.Errorf("example since %q is not RFC 3339 UTC in whole seconds", since)
	}

	now := time.Date(2024, 9, 20, 6, 0, 0, 103667386, time.UTC)
	line := dailyReport("Google Inc.", "2024-09-15", "23:59:59", "example.com", 10, 2)
	got := runJSONAt(t, now, []string{"-since", "7d", "-"}, line)
	if !reflect.DeepEqual(got, example) {
		want, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("example in %s differs from the output, which is:\n%s", jsonDocPath, want)
	}
}

// TestJSONDocTables checks that the member tables of docs/summary-json.md
// list exactly the members that the output has.
func TestJSONDocTables(t *testing.T) {
	text := readJSONDoc(t)
	now := time.Date(2024, 9, 20, 6, 0, 0, 0, time.UTC)
	doc := runJSONAt(t, now, []string{"-"}, dailyReport("Google Inc.", "2024-09-15", "", "example.com", 10, 2))

	policy := firstObject(t, doc, "policies")
	tests := []struct {
		heading string
		members []string
	}{
		{"## Top level", slices.Collect(maps.Keys(doc))},
		{"## `policies[]`", slices.Collect(maps.Keys(policy))},
		{"## `policies[].failure-details[]`", slices.Collect(maps.Keys(firstObject(t, policy, "failure-details")))},
		{"## `reporters[]` and `days[]`", append(
			slices.Collect(maps.Keys(firstObject(t, doc, "reporters"))),
			slices.Collect(maps.Keys(firstObject(t, doc, "days")))...)},
	}
	for _, tt := range tests {
		t.Run(tt.heading, func(t *testing.T) {
			want := slices.Compact(slices.Sorted(slices.Values(tt.members)))
			got := tableMembers(t, text, tt.heading)
			if !slices.Equal(got, want) {
				t.Errorf("table lists %v\nthe output has %v", got, want)
			}
		})
	}
}

func readJSONDoc(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(jsonDocPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// section returns the text from heading to the next heading of level 2.
func section(t *testing.T, text, heading string) string {
	t.Helper()
	_, rest, ok := strings.Cut(text, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no heading %q", jsonDocPath, heading)
	}
	body, _, _ := strings.Cut(rest, "\n## ")
	return body
}

func fencedBlock(t *testing.T, text, heading, fence string) string {
	t.Helper()
	_, block, ok := strings.Cut(section(t, text, heading), fence)
	if !ok {
		t.Fatalf("%s has no %q block under %q", jsonDocPath, strings.TrimSpace(fence), heading)
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// tableRow matches the member name in the first cell of a table row.
var tableRow = regexp.MustCompile("(?m)^\\| `([^`]+)`")

// tableMembers returns the sorted member names in the table under heading.
func tableMembers(t *testing.T, text, heading string) []string {
	t.Helper()
	var names []string
	for _, m := range tableRow.FindAllStringSubmatch(section(t, text, heading), -1) {
		names = append(names, m[1])
	}
	return slices.Compact(slices.Sorted(slices.Values(names)))
}

func firstObject(t *testing.T, doc map[string]any, member string) map[string]any {
	t.Helper()
	list, _ := doc[member].([]any)
	if len(list) == 0 {
		t.Fatalf("output member %q is empty, want at least one entry", member)
	}
	object, ok := list[0].(map[string]any)
	if !ok {
		t.Fatalf("output member %q[0] is %T, want an object", member, list[0])
	}
	return object
}
