// Package reportschema validates report lines against the JSON Schema in
// docs/report.schema.json, so tests can check that every line a command
// writes has the documented format.
package reportschema

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// SchemaPath is the location of the schema relative to the module root.
const SchemaPath = "docs/report.schema.json"

// Validator checks report lines against the compiled schema. It is safe
// for concurrent use.
type Validator struct {
	schema *jsonschema.Schema
}

// Load finds the module root by walking up from the working directory to
// the first directory containing go.mod, then compiles SchemaPath there.
func Load() (*Validator, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("load report schema: %w", err)
	}
	root, err := moduleRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("load report schema: %w", err)
	}
	return LoadFile(filepath.Join(root, SchemaPath))
}

// LoadFile compiles the schema in the named file. Format assertions are on,
// so a "date-time" that RFC 3339 rejects fails validation.
func LoadFile(path string) (*Validator, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load report schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("load report schema %s: invalid JSON: %w", path, err)
	}

	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(path, doc); err != nil {
		return nil, fmt.Errorf("load report schema %s: %w", path, err)
	}
	schema, err := c.Compile(path)
	if err != nil {
		return nil, fmt.Errorf("load report schema %s: %w", path, err)
	}
	return &Validator{schema: schema}, nil
}

func moduleRoot(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in the working directory or above it; run from inside the tlsrpt module")
		}
		dir = parent
	}
}

// Validate checks one report line (with or without its trailing newline).
// The error names each failing member by its path, such as
// policies[0].summary.total-failure-session-count, and the rule it breaks.
func (v *Validator) Validate(line []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
	if err != nil {
		return fmt.Errorf("report line is not valid JSON: %w", err)
	}
	err = v.schema.Validate(doc)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return fmt.Errorf("report line: %w", err)
	}
	return fmt.Errorf("report line does not match %s: %s", SchemaPath, strings.Join(leafMessages(verr), "; "))
}

// leafMessages returns "path: reason" for the innermost causes, because
// they name the members at fault and the outer causes only repeat "$ref".
func leafMessages(e *jsonschema.ValidationError) []string {
	printer := message.NewPrinter(language.English)
	var out []string
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, MemberPath(e.InstanceLocation)+": "+e.ErrorKind.LocalizedString(printer))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(e)
	sort.Strings(out)
	return out
}

// MemberPath formats a JSON Pointer's tokens as a path in the style of the
// report warnings: names joined by dots, array indexes in brackets, and
// "(top level)" for the root.
func MemberPath(tokens []string) string {
	if len(tokens) == 0 {
		return "(top level)"
	}
	var b strings.Builder
	for _, t := range tokens {
		if _, err := strconv.Atoi(t); err == nil && b.Len() > 0 {
			b.WriteString("[" + t + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}
