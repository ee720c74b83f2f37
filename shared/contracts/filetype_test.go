package contracts

import (
	"bytes"
	"io"
	"testing"
)

func TestInspectorKind(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"pdf", pdfBytes(2000, 1), TypePDF},
		{"docx", docxBytes(t), TypeDOCX},
		{"plain zip", zipOf(t, "notes.txt"), KindZip},
		{"png", append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...),
			TypePNG},
		{"jpeg", append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 64)...), TypeJPEG},
		{"windows exe", append([]byte("MZ\x90\x00"), pdfBytes(100, 2)...), KindExecutable},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00"), KindExecutable},
		{"mach-o", []byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1}, KindExecutable},
		{"script", []byte("#!/bin/sh\nrm -rf /\n"), KindExecutable},
		{"text", []byte("just a note"), "text/plain"},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 7, 4096} {
			in := NewInspector()
			copyChunks(in, tt.data, chunk)
			if got := in.Kind(); got != tt.want {
				t.Errorf("Kind(%s, %d-byte writes) = %q, want %q", tt.name, chunk, got, tt.want)
			}
			if in.Size() != int64(len(tt.data)) || in.SHA256() != sha(tt.data) {
				t.Errorf("%s: size %d sha %s, want %d %s", tt.name, in.Size(), in.SHA256(),
					len(tt.data), sha(tt.data))
			}
		}
	}
}

func copyChunks(w io.Writer, data []byte, n int) {
	for len(data) > 0 {
		k := min(n, len(data))
		w.Write(data[:k])
		data = data[k:]
	}
}

func zipOf(t *testing.T, name string) []byte {
	t.Helper()
	d := docxBytes(t)
	// Same archive shape, but none of a Word document's part names.
	d = bytes.ReplaceAll(d, []byte("word/document.xml"), []byte("misc/notes.txt.xml"))
	return bytes.ReplaceAll(d, []byte("[Content_Types].xml"), []byte("[Something_Else].xm"))
}

func TestStatusTransitions(t *testing.T) {
	all := []Status{Draft, UnderApproval, Signed, Closed}
	allowed := map[[2]Status]bool{
		{Draft, UnderApproval}: true, {Draft, Closed}: true,
		{UnderApproval, Draft}: true, {UnderApproval, Signed}: true,
		{Signed, Closed}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := from.CanMoveTo(to); got != allowed[[2]Status{from, to}] {
				t.Errorf("%s.CanMoveTo(%s) = %v, want %v", from, to, got, !got)
			}
		}
	}
}

func TestParseUploadKey(t *testing.T) {
	good := uploadKey(tenantKey("dinguni"), "c1", "u1")
	tests := []struct {
		key string
		ok  bool
	}{
		{good, true},
		{quarantineKey(tenantKey("dinguni"), "c1", "u1"), false},
		{"contracts/ffff:dinguni/c1/uploads/u1", false}, // salt does not match
		{"contracts/" + tenantKey("dinguni") + "/c1/uploads/", false},
		{"contracts/" + tenantKey("dinguni") + "/c1/uploads/u1/x", false},
		{"reports/x/y/uploads/z", false},
	}
	for _, tt := range tests {
		if _, ok := parseUploadKey(tt.key); ok != tt.ok {
			t.Errorf("parseUploadKey(%q) ok = %v, want %v", tt.key, ok, tt.ok)
		}
	}
}
