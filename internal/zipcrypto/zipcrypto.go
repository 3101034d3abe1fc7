// Package zipcrypto reads files from ZIP archives protected with the traditional PKWARE
// ("ZipCrypto") password scheme, the way the GPQA authors ship their data. The Go standard
// library's archive/zip reads the archive structure; this package only decrypts entries.
package zipcrypto

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// ErrPassword is returned when the password does not decrypt an entry.
var ErrPassword = errors.New("zipcrypto: wrong password")

type keys [3]uint32

func (k *keys) update(b byte) {
	k[0] = crc32.IEEETable[byte(k[0])^b] ^ (k[0] >> 8)
	k[1] = (k[1]+(k[0]&0xff))*134775813 + 1
	k[2] = crc32.IEEETable[byte(k[2])^byte(k[1]>>24)] ^ (k[2] >> 8)
}

func (k *keys) decryptByte() byte {
	t := k[2] | 2
	return byte((t * (t ^ 1)) >> 8)
}

func newKeys(password string) *keys {
	k := &keys{0x12345678, 0x23456789, 0x34567890}
	for i := 0; i < len(password); i++ {
		k.update(password[i])
	}
	return k
}

// ReadFile returns the decrypted, decompressed content of the entry name in the ZIP archive
// held in data. Unencrypted entries are returned as they are.
func ReadFile(data []byte, name, password string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("zipcrypto: %w", err)
	}
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		if f.Flags&0x1 == 0 {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(rc)
		}
		raw, err := f.OpenRaw()
		if err != nil {
			return nil, err
		}
		enc, err := io.ReadAll(raw)
		if err != nil {
			return nil, err
		}
		if len(enc) < 12 {
			return nil, fmt.Errorf("zipcrypto: entry %q too short", name)
		}
		k := newKeys(password)
		plain := make([]byte, len(enc))
		for i, c := range enc {
			p := c ^ k.decryptByte()
			k.update(p)
			plain[i] = p
		}
		// The last header byte is the high byte of the CRC (or of the DOS time when bit 3 is set).
		check := byte(f.CRC32 >> 24)
		if f.Flags&0x8 != 0 {
			check = byte(f.ModifiedTime >> 8)
		}
		if plain[11] != check {
			return nil, ErrPassword
		}
		body := plain[12:]
		var out []byte
		switch f.Method {
		case zip.Store:
			out = body
		case zip.Deflate:
			out, err = io.ReadAll(flate.NewReader(bytes.NewReader(body)))
			if err != nil {
				return nil, fmt.Errorf("zipcrypto: inflate %q: %w", name, err)
			}
		default:
			return nil, fmt.Errorf("zipcrypto: entry %q: unsupported method %d", name, f.Method)
		}
		if crc32.ChecksumIEEE(out) != f.CRC32 {
			return nil, ErrPassword
		}
		return out, nil
	}
	return nil, fmt.Errorf("zipcrypto: no entry %q in archive", name)
}
