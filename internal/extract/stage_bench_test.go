package extract

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/benchgen"
	"github.com/tlsrpt/tlsrpt/internal/mailmsg"
	"github.com/tlsrpt/tlsrpt/internal/mbox"
	"github.com/tlsrpt/tlsrpt/internal/payload"
	"github.com/tlsrpt/tlsrpt/internal/report"
)

func stageInput(b *testing.B) ([]byte, [][]byte, [][]byte, [][]byte) {
	var mboxData bytes.Buffer
	if err := benchgen.New(1).WriteMbox(&mboxData, 1000); err != nil {
		b.Fatal(err)
	}
	var msgs, parts, docs [][]byte
	r := mbox.NewReader(bytes.NewReader(mboxData.Bytes()), 0)
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		msgs = append(msgs, m.Data)
		mm, _ := mailmsg.Parse(m.Data, mailmsg.Options{})
		parts = append(parts, mm.Parts[0].Data)
		d, _ := payload.Decode(mm.Parts[0].Data, 0)
		docs = append(docs, d[0].Data)
	}
	return mboxData.Bytes(), msgs, parts, docs
}

func BenchmarkStage(b *testing.B) {
	all, msgs, parts, docs := stageInput(b)
	b.Run("mbox", func(b *testing.B) {
		for i := 0; i < b.N; i += len(msgs) {
			r := mbox.NewReader(bytes.NewReader(all), 0)
			for {
				if _, err := r.Next(); err == io.EOF {
					break
				}
			}
		}
	})
	b.Run("mailmsg", func(b *testing.B) {
		for i := range b.N {
			mailmsg.Parse(msgs[i%len(msgs)], mailmsg.Options{})
		}
	})
	b.Run("gunzip", func(b *testing.B) {
		for i := range b.N {
			payload.Decode(parts[i%len(parts)], 0)
		}
	})
	b.Run("sha256", func(b *testing.B) {
		for i := range b.N {
			sha256.Sum256(docs[i%len(docs)])
		}
	})
	b.Run("parse", func(b *testing.B) {
		for i := range b.N {
			report.Parse(docs[i%len(docs)], report.Hints{})
		}
	})
	b.Run("encode", func(b *testing.B) {
		var line []byte
		for i := range b.N {
			r, _ := report.Parse(docs[i%len(docs)], report.Hints{})
			line = r.AppendJSON(line[:0])
		}
	})
	var n int
	for _, d := range docs {
		n += len(d)
	}
	b.Logf("mean decompressed report %d bytes, mean message %d bytes", n/len(docs), len(all)/len(msgs))
}
