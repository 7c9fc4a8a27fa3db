package reportschema

import (
	"strings"
	"testing"
)

const validLine = `{"organization-name":"Example Inc.","date-range":{"start-datetime":"2024-01-09T00:00:00Z","end-datetime":"2024-01-09T23:59:59Z"},"contact-info":"smtp-tls-reporting@example.com","report-id":"2024-01-09T00:00:00Z_example.com","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce"],"policy-domain":"example.com","mx-host":["mx.example.com"]},"summary":{"total-successful-session-count":10,"total-failure-session-count":1},"failure-details":[{"result-type":"validation-failure","sending-mta-ip":"192.0.2.1","failed-session-count":1}]}],"_source":{"input":"-","message":1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000"},"_warnings":[{"code":"trailing-dot","path":"policies[0].policy.policy-domain","message":"domain written without its trailing dot"}],"_ingested":"2024-01-10T08:00:00.5Z"}`

func TestValidate(t *testing.T) {
	v, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		replace [2]string // applied to validLine
		wantErr string    // "" when the line is valid
	}{
		{"valid", [2]string{}, ""},
		{"unknown member kept", [2]string{`"policies":`, `"x-extra":{"a":1},"policies":`}, ""},
		{"datetime with offset", [2]string{`"2024-01-09T00:00:00Z"`, `"2024-01-09T00:00:00+01:00"`}, "date-range.start-datetime"},
		{"datetime without zone", [2]string{`"2024-01-09T23:59:59Z"`, `"2024-01-09T23:59:59"`}, "date-range.end-datetime"},
		{"count as string", [2]string{`"total-successful-session-count":10`, `"total-successful-session-count":"10"`}, "policies[0].summary.total-successful-session-count"},
		{"negative count", [2]string{`"failed-session-count":1`, `"failed-session-count":-1`}, "policies[0].failure-details[0].failed-session-count"},
		{"mx-host as string", [2]string{`"mx-host":["mx.example.com"]`, `"mx-host":"mx.example.com"`}, "policies[0].policy.mx-host"},
		{"policy-type upper case", [2]string{`"policy-type":"sts"`, `"policy-type":"STS"`}, "policies[0].policy.policy-type"},
		{"trailing dot", [2]string{`"policy-domain":"example.com"`, `"policy-domain":"example.com."`}, "policies[0].policy.policy-domain"},
		{"empty ip", [2]string{`"sending-mta-ip":"192.0.2.1"`, `"sending-mta-ip":""`}, "policies[0].failure-details[0].sending-mta-ip"},
		{"missing report-id", [2]string{`"report-id":"2024-01-09T00:00:00Z_example.com",`, ``}, "(top level)"},
		{"blank report-id", [2]string{`"report-id":"2024-01-09T00:00:00Z_example.com"`, `"report-id":" "`}, "report-id"},
		{"unknown source member", [2]string{`"input":"-"`, `"input":"-","host":"x"`}, "_source"},
		{"bad sha256", [2]string{`"sha256":"0000`, `"sha256":"zz00`}, "_source.sha256"},
		{"warning without code", [2]string{`{"code":"trailing-dot",`, `{`}, "_warnings[0]"},
		{"ingested without zone", [2]string{`"2024-01-10T08:00:00.5Z"`, `"2024-01-10T08:00:00.5"`}, "_ingested"},
		{"not an object", [2]string{validLine, `[]`}, "(top level)"},
		{"invalid json", [2]string{validLine, `{"report-id":`}, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := validLine
			if tt.replace[0] != "" {
				if !strings.Contains(line, tt.replace[0]) {
					t.Fatalf("test line lacks %q", tt.replace[0])
				}
				line = strings.Replace(line, tt.replace[0], tt.replace[1], 1)
			}
			err := v.Validate([]byte(line + "\n"))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %s", line)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate error %q does not name %q", err, tt.wantErr)
			}
		})
	}
}

func TestMemberPath(t *testing.T) {
	tests := []struct {
		tokens []string
		want   string
	}{
		{nil, "(top level)"},
		{[]string{"report-id"}, "report-id"},
		{[]string{"policies", "0", "failure-details", "12", "result-type"}, "policies[0].failure-details[12].result-type"},
	}
	for _, tt := range tests {
		if got := MemberPath(tt.tokens); got != tt.want {
			t.Errorf("MemberPath(%q) = %q, want %q", tt.tokens, got, tt.want)
		}
	}
}
