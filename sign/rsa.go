package sign

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// MinRSABits is the smallest RSA modulus ParseRSAPrivateKey and
// ParseRSAPublicKey accept.
const MinRSABits = 1024

// ErrInvalidRSAKey is matched by every error of ParseRSAPrivateKey and
// ParseRSAPublicKey. The errors describe what is wrong with the key text but
// never contain any of it.
var ErrInvalidRSAKey = errors.New("sign: invalid RSA key")

type rsaKeyError struct {
	what   string // "private" or "public"
	reason string
}

func (e *rsaKeyError) Error() string { return "sign: RSA " + e.what + " key: " + e.reason }

func (e *rsaKeyError) Is(target error) bool { return target == ErrInvalidRSAKey }

// keyDER returns the DER bytes of a PEM block or of a bare base64 body, and
// the PEM type ("" for a bare body).
func keyDER(s, what string) ([]byte, string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, "", &rsaKeyError{what, "empty"}
	}
	if strings.HasPrefix(s, "-----BEGIN") {
		block, rest := pem.Decode([]byte(s))
		if block == nil {
			return nil, "", &rsaKeyError{what, "malformed PEM block"}
		}
		if len(strings.TrimSpace(string(rest))) != 0 {
			return nil, "", &rsaKeyError{what, "text after the PEM block"}
		}
		if len(block.Headers) != 0 {
			return nil, "", &rsaKeyError{what, "encrypted or annotated PEM blocks are not supported"}
		}
		return block.Bytes, block.Type, nil
	}
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			return -1
		}
		return r
	}, s)
	der, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		der, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "="))
	}
	if err != nil {
		return nil, "", &rsaKeyError{what, "neither PEM nor base64"}
	}
	return der, "", nil
}

// pemTypeName quotes a PEM type for an error, bounded in length.
func pemTypeName(t string) string {
	if len(t) > 32 {
		t = t[:32] + "..."
	}
	return fmt.Sprintf("%q", strings.ToValidUTF8(t, "?"))
}

// ParseRSAPrivateKey parses a merchant's RSA private key: a PEM block of type
// "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1), or the bare base64
// body of either, as merchant panels show it (line breaks and white space
// are ignored). Encrypted PEM is not supported. Errors match
// ErrInvalidRSAKey and never contain the key text.
func ParseRSAPrivateKey(s string) (*rsa.PrivateKey, error) {
	der, typ, err := keyDER(s, "private")
	if err != nil {
		return nil, err
	}
	var key *rsa.PrivateKey
	switch typ {
	case "PRIVATE KEY":
		key, err = parsePKCS8RSA(der)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(der)
	case "":
		if key, err = parsePKCS8RSA(der); err != nil {
			var nrsa *notRSAError
			if !errors.As(err, &nrsa) {
				key, err = x509.ParsePKCS1PrivateKey(der)
			}
		}
	case "PUBLIC KEY", "RSA PUBLIC KEY":
		return nil, &rsaKeyError{"private", "got a public key; the private key is needed to sign"}
	default:
		return nil, &rsaKeyError{"private", "unsupported PEM type " + pemTypeName(typ) + ", want PRIVATE KEY or RSA PRIVATE KEY"}
	}
	if err != nil {
		var nrsa *notRSAError
		if errors.As(err, &nrsa) {
			return nil, &rsaKeyError{"private", "not an RSA key"}
		}
		return nil, &rsaKeyError{"private", "not a valid PKCS#8 or PKCS#1 key"}
	}
	if key.N.BitLen() < MinRSABits {
		return nil, &rsaKeyError{"private", fmt.Sprintf("%d bits, want at least %d", key.N.BitLen(), MinRSABits)}
	}
	return key, nil
}

type notRSAError struct{}

func (*notRSAError) Error() string { return "not an RSA key" }

func parsePKCS8RSA(der []byte) (*rsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, &notRSAError{}
	}
	return rk, nil
}

// ParseRSAPublicKey parses the platform's RSA public key: a PEM block of type
// "PUBLIC KEY" (SubjectPublicKeyInfo) or "RSA PUBLIC KEY" (PKCS#1), or the
// bare base64 body of either (line breaks and white space are ignored).
// Errors match ErrInvalidRSAKey and never contain the key text.
func ParseRSAPublicKey(s string) (*rsa.PublicKey, error) {
	der, typ, err := keyDER(s, "public")
	if err != nil {
		return nil, err
	}
	var key *rsa.PublicKey
	switch typ {
	case "PUBLIC KEY":
		key, err = parseSPKIRSA(der)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(der)
	case "":
		if key, err = parseSPKIRSA(der); err != nil {
			var nrsa *notRSAError
			if !errors.As(err, &nrsa) {
				key, err = x509.ParsePKCS1PublicKey(der)
			}
		}
	case "PRIVATE KEY", "RSA PRIVATE KEY":
		return nil, &rsaKeyError{"public", "got a private key where the public key belongs"}
	default:
		return nil, &rsaKeyError{"public", "unsupported PEM type " + pemTypeName(typ) + ", want PUBLIC KEY or RSA PUBLIC KEY"}
	}
	if err != nil {
		var nrsa *notRSAError
		if errors.As(err, &nrsa) {
			return nil, &rsaKeyError{"public", "not an RSA key"}
		}
		return nil, &rsaKeyError{"public", "not a valid SPKI or PKCS#1 key"}
	}
	if key.N.BitLen() < MinRSABits {
		return nil, &rsaKeyError{"public", fmt.Sprintf("%d bits, want at least %d", key.N.BitLen(), MinRSABits)}
	}
	return key, nil
}

func parseSPKIRSA(der []byte) (*rsa.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, &notRSAError{}
	}
	return rk, nil
}

// SignRSA returns the Epay V2 signature of params: SHA256withRSA (PKCS#1
// v1.5) over EpayString(params), that is every parameter but sign and
// sign_type whose value is not blank, sorted, joined as k=v with '&' and
// without a key appended; base64 (standard alphabet, padded). PKCS#1 v1.5
// is deterministic: the same parameters and key give the same signature.
func SignRSA(params map[string]string, key *rsa.PrivateKey) (string, error) {
	if key == nil {
		return "", errors.New("sign: nil RSA private key")
	}
	digest := sha256.Sum256(appendCanonical(nil, params, true))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign: RSA signing failed: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyRSA reports whether params["sign"] is a valid SignRSA signature of
// params for pub. The signature is base64 (standard alphabet, padding
// optional); a '+' that arrived as a space (an unencoded query string) is
// accepted. A nil key, a missing or malformed sign is false.
func VerifyRSA(params map[string]string, pub *rsa.PublicKey) bool {
	if pub == nil {
		return false
	}
	sig := decodeRSASign(params["sign"])
	if sig == nil {
		return false
	}
	digest := sha256.Sum256(appendCanonical(nil, params, true))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
}

// decodeRSASign decodes a base64 signature leniently; nil when it is not
// base64 or empty.
func decodeRSASign(s string) []byte {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 4096 {
		return nil
	}
	s = strings.ReplaceAll(s, " ", "+")
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
			return nil
		}
	}
	if len(b) == 0 {
		return nil
	}
	return b
}
