package extract

import (
	"bytes"
	"context"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/benchgen"
)

// BenchmarkRun measures the whole pipeline on a generated mbox; b.N
// counts messages.
func BenchmarkRun(b *testing.B) {
	var mboxData bytes.Buffer
	const messages = 2000
	if err := benchgen.New(1).WriteMbox(&mboxData, messages); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(mboxData.Len()) / messages)
	b.ResetTimer()
	for done := 0; done < b.N; done += messages {
		err := Run(context.Background(), Options{Encode: true}, []string{"-"}, bytes.NewReader(mboxData.Bytes()), func(r *Result) error {
			for _, rep := range r.Reports {
				_ = rep
			}
			if len(r.Errors) > 0 {
				b.Fatal(r.Errors[0])
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
