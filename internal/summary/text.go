package summary

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TextOptions select what WriteText prints.
type TextOptions struct {
	Verbose bool // add the header, the successful policies, reporters and days
	Color   bool // use ANSI bold and red; only for a terminal
}

// ANSI SGR sequences (ECMA-48 section 8.3.117).
const (
	sgrBold    = "\x1b[1m"
	sgrBoldRed = "\x1b[1;31m"
	sgrReset   = "\x1b[0m"
)

// absent stands for a failure detail member the reporter did not send.
const absent = "-"

// WriteText writes the summary as aligned plain text. Without Verbose it
// writes only the policies with failed sessions, and nothing at all when
// there are none, so that cron sends mail only when something is wrong.
func WriteText(w io.Writer, r *Result, opts TextOptions) error {
	bw := bufio.NewWriter(w)
	t := &textWriter{w: bw, color: opts.Color}
	if opts.Verbose {
		t.verbose(r)
	} else {
		t.failures(r)
	}
	return bw.Flush()
}

// WriteJSON writes the summary as one indented JSON document.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

type textWriter struct {
	w     *bufio.Writer
	color bool
	wrote bool // whether a section was written, so the next one starts with a blank line
}

func (t *textWriter) styled(style, text string) string {
	if !t.color {
		return text
	}
	return style + text + sgrReset
}

// section starts a new paragraph of output.
func (t *textWriter) section() {
	if t.wrote {
		t.w.WriteByte('\n')
	}
	t.wrote = true
}

func (t *textWriter) failures(r *Result) {
	for i := range r.Policies {
		if r.Policies[i].HasFailures() {
			t.failedPolicy(&r.Policies[i])
		}
	}
}

func (t *textWriter) verbose(r *Result) {
	t.section()
	fmt.Fprintf(t.w, "%s\n", t.styled(sgrBold, headerLine(r)))
	if r.Since != nil || r.Until != nil {
		fmt.Fprintf(t.w, "selected: %s\n", selectionLine(r))
	}
	if r.UnreadableInputs > 0 {
		fmt.Fprintf(t.w, "inputs that could not be read: %d\n", r.UnreadableInputs)
	}
	if r.UnreadableLines > 0 {
		fmt.Fprintf(t.w, "unreadable lines skipped: %d\n", r.UnreadableLines)
	}

	if r.HasFailures() {
		t.section()
		fmt.Fprintf(t.w, "%s\n", t.styled(sgrBoldRed, "FAILURES"))
		t.failures(r)
	}
	t.successful(r)
	t.reporters(r)
	t.days(r)
}

// headerLine returns "N reports from N reporters, DATE to DATE".
func headerLine(r *Result) string {
	line := plural(r.Reports, "report") + " from " + plural(int64(r.ReporterCount), "reporter")
	if r.FirstDay != nil {
		line += ", " + dayRange(*r.FirstDay, *r.LastDay)
	}
	return line
}

// selectionLine states the period in the words of the -since and -until
// help: "reports whose date range ends after SINCE and starts before UNTIL".
func selectionLine(r *Result) string {
	var conditions []string
	if r.Since != nil {
		conditions = append(conditions, "ends after "+r.Since.Format(time.RFC3339))
	}
	if r.Until != nil {
		conditions = append(conditions, "starts before "+r.Until.Format(time.RFC3339))
	}
	return "reports whose date range " + strings.Join(conditions, " and ")
}

func (t *textWriter) failedPolicy(p *Policy) {
	t.section()
	fmt.Fprintf(t.w, "%s\n", t.styled(sgrBoldRed, policyHeading(p)))

	labels := &table{indent: "  "}
	labels.add("reporters", joinOrAbsent(p.Reporters))
	labels.add("period", dayRange(p.FirstDay, p.LastDay)+", "+plural(p.Reports, "report"))
	labels.add("sessions", fmt.Sprintf("%d failed, %d successful, failure rate %s",
		p.Failed, p.Successful, formatRate(p.Successful, p.Failed)))
	labels.write(t.w)

	if len(p.Failures) == 0 {
		fmt.Fprintf(t.w, "  no failure details given by the reporters\n")
		return
	}
	fmt.Fprintf(t.w, "  failure details\n")
	details := &table{indent: "    ", rightAligned: map[int]bool{0: true}}
	details.add("sessions", "result-type", "receiving MX host", "receiving IP", "sending MTA IP")
	for _, f := range p.Failures {
		row := details.add(strconv.FormatInt(f.Sessions, 10), orAbsent(f.ResultType),
			orAbsent(f.ReceivingMXHostname), orAbsent(f.ReceivingIP), orAbsent(f.SendingMTAIP))
		if f.FailureReasonCode != "" {
			details.note(row, "failure-reason-code: "+oneLine(f.FailureReasonCode))
		}
		if f.AdditionalInformation != "" {
			details.note(row, "additional-information: "+oneLine(f.AdditionalInformation))
		}
	}
	details.write(t.w)
}

// policyHeading returns "example.com  sts  mode enforce".
func policyHeading(p *Policy) string {
	heading := orAbsent(p.Domain) + "  " + orAbsent(p.Type)
	if p.Type == "sts" {
		heading += "  mode " + modes(p)
	}
	return heading
}

func modes(p *Policy) string {
	if len(p.Modes) == 0 {
		return "unknown"
	}
	return strings.Join(p.Modes, ", ")
}

func (t *textWriter) successful(r *Result) {
	tab := &table{indent: "  ", rightAligned: map[int]bool{3: true, 4: true}}
	tab.add("policy domain", "type", "mode", "reports", "successful", "period", "reporters")
	for _, p := range r.Policies {
		if p.HasFailures() {
			continue
		}
		mode := absent
		if p.Type == "sts" {
			mode = modes(&p)
		}
		tab.add(orAbsent(p.Domain), orAbsent(p.Type), mode, strconv.FormatInt(p.Reports, 10),
			strconv.FormatInt(p.Successful, 10), dayRange(p.FirstDay, p.LastDay), joinOrAbsent(p.Reporters))
	}
	if len(tab.rows) == 1 {
		return
	}
	t.section()
	fmt.Fprintf(t.w, "%s\n", t.styled(sgrBold, "SUCCESSFUL"))
	tab.write(t.w)
}

func (t *textWriter) reporters(r *Result) {
	if len(r.Reporters) == 0 {
		return
	}
	tab := &table{indent: "  ", rightAligned: map[int]bool{2: true, 3: true, 4: true, 5: true}}
	tab.add("organization-name", "type", "reports", "successful", "failed", "failure rate")
	for _, rep := range r.Reporters {
		tab.add(orAbsent(rep.Organization), orAbsent(rep.Type), strconv.FormatInt(rep.Reports, 10),
			strconv.FormatInt(rep.Successful, 10), strconv.FormatInt(rep.Failed, 10), formatRate(rep.Successful, rep.Failed))
	}
	t.section()
	fmt.Fprintf(t.w, "%s\n", t.styled(sgrBold, "REPORTERS"))
	tab.write(t.w)
}

func (t *textWriter) days(r *Result) {
	if len(r.Days) == 0 {
		return
	}
	tab := &table{indent: "  ", rightAligned: map[int]bool{2: true, 3: true, 4: true, 5: true}}
	tab.add("date", "type", "reports", "successful", "failed", "failure rate")
	for _, d := range r.Days {
		tab.add(d.Date, orAbsent(d.Type), strconv.FormatInt(d.Reports, 10),
			strconv.FormatInt(d.Successful, 10), strconv.FormatInt(d.Failed, 10), formatRate(d.Successful, d.Failed))
	}
	t.section()
	fmt.Fprintf(t.w, "%s\n", t.styled(sgrBold, "PER DAY (by the UTC day each report starts)"))
	tab.write(t.w)
}

// formatRate returns the failure rate as a percentage with two decimals;
// a rate above zero that would round to 0.00% is written "<0.01%".
func formatRate(successful, failed int64) string {
	percent := 100 * FailureRate(successful, failed)
	if failed > 0 && percent < 0.005 {
		return "<0.01%"
	}
	return strconv.FormatFloat(percent, 'f', 2, 64) + "%"
}

func dayRange(first, last string) string {
	if first == last {
		return first
	}
	return first + " to " + last
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(n, 10) + " " + noun + "s"
}

func orAbsent(s string) string {
	if s == "" {
		return absent
	}
	return oneLine(s)
}

func joinOrAbsent(list []string) string {
	if len(list) == 0 {
		return absent
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = orAbsent(s)
	}
	return strings.Join(out, ", ")
}

// oneLine replaces control characters, which a report may contain and
// which would break the layout or drive a terminal, by spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

// table aligns columns with two spaces between them. Notes are lines
// printed under a row, indented to its second column, outside the
// alignment. Trailing spaces are never written, so mail stays stable.
type table struct {
	indent       string
	rightAligned map[int]bool
	rows         [][]string
	notes        map[int][]string
}

func (t *table) add(cells ...string) int {
	t.rows = append(t.rows, cells)
	return len(t.rows) - 1
}

func (t *table) note(row int, text string) {
	if t.notes == nil {
		t.notes = map[int][]string{}
	}
	t.notes[row] = append(t.notes[row], text)
}

func (t *table) write(w *bufio.Writer) {
	var widths []int
	for _, row := range t.rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}

	for r, row := range t.rows {
		var line strings.Builder
		line.WriteString(t.indent)
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if i > 0 {
				line.WriteString("  ")
			}
			if t.rightAligned[i] {
				line.WriteString(pad)
				line.WriteString(cell)
			} else {
				line.WriteString(cell)
				line.WriteString(pad)
			}
		}
		w.WriteString(strings.TrimRight(line.String(), " "))
		w.WriteByte('\n')

		noteIndent := t.indent
		if len(widths) > 1 {
			noteIndent += strings.Repeat(" ", widths[0]+2)
		}
		for _, n := range t.notes[r] {
			w.WriteString(strings.TrimRight(noteIndent+n, " "))
			w.WriteByte('\n')
		}
	}
}
