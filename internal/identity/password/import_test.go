package password

import (
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

const (
	kaPassword  = "correct horse battery staple"
	kaUnicode   = "pässwörd-€uro"
	kaDjangoPwd = "lètmein"
)

// importKnownAnswers were computed outside Go: PBKDF2, scrypt, MD5 and
// SHA-256 with Python 3.11's hashlib (encodings done by hand), bcrypt with
// the system libxcrypt through Python's crypt module. The passlib vector is
// the example from passlib's pbkdf2_sha256 documentation. See also
// argon2KnownAnswers.
var importKnownAnswers = []struct {
	hasher, digest, password string
}{
	{"pbkdf2_sha256", "pbkdf2_sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg==$yqSq2SygY1sB4EcH9f2FG0JTMES+wqLsOT5YmiRBplI=", kaPassword},
	{"pbkdf2_sha256", "$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M", "password"},
	{"pbkdf2_sha256", "$pbkdf2-sha256$1200$yMnKy8zNzs/Q0dLT1NXW1w$Kvj4nniGjX6/OXxYobLqngnjCe0PCKK8O.yUY08KSsM", kaUnicode},
	{"pbkdf2_sha256", "$pbkdf2-sha256$i=1500,l=32$cGhjLXNhbHQtMTZieXRlcw$CM5Ms38dBmgC3tV82V08QsRqTl5KMxa+RVmLaxKtu3Q", kaPassword},
	{"pbkdf2_sha256_django", "pbkdf2_sha256$1000$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=", kaDjangoPwd},
	{"pbkdf2_sha512", "pbkdf2_sha512$1000$NaCl-pepper$bccd5c8a21e25fc2dab98ce9e5579dead227b846ddb2facf30b6a9063e7ad12d87702a9d9a9303243bc6e58233201996afb016c92809382702372bb34976734c", kaPassword},
	{"pbkdf2_sha512", "$pbkdf2-sha512$1000$AQIDBAUGBwgJCgsMDQ4PEA$FCbLUo2VCZMiIKoh/hb/YEDX.ZGCgPWQKTkUqXwk/n4/I6LmiDIV.QaE34BDErJmyJUUXYT4EB13.UHiwBaIXw", kaUnicode},
	{"pbkdf2_sha512_hex", "pbkdf2_sha512_hex$1000$a1b2c3d4e5f60718293a4b5c6d7e8f90$eb23c4966bfdb0f48e951e9e2a95f4b06c403e694d2e6427a0cdf091be872d49cdc91dde4173871264dad19579f1d1b99beba525b940acd27634f810c7044f99", kaPassword},
	{"pbkdf2_sha1", "pbkdf2_sha1$1000$saltysalt$792263582e3e8b28491845957dbedc2f994597b5a731b7e1d1698d1fb3ae745c", kaPassword},
	{"pbkdf2_sha1", "pbkdf2_sha1$1000$00ff10ee20dd30cc$97a6ff8dbf0d0f80cf0b09ba897aad5a8ab5b679ec3a715748ae19b5acfcdf56", kaPassword},
	{"pbkdf2_sha1", "pbkdf2_sha1$1000$00ff10ee20dd30cc$97a6ff8dbf0d0f80cf0b09ba897aad5a8ab5b679$20", kaPassword},
	{"pbkdf2_sha1", "pbkdf2_sha1$1000$djangosalt$8ToHl42u2VZ64s1yreRM+BljTiM=", kaUnicode},
	{"pbkdf2_sha1", "$pbkdf2$1000$cGFzc2xpYi1zaGExLXNh$4Cqpmn9gL8.qeC5hWpTTCeGtjDA", kaPassword},
	{"bcrypt", "$2a$05$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS", kaPassword},
	{"bcrypt", "$2b$05$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS", kaPassword},
	{"bcrypt", "$2y$05$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS", kaPassword},
	{"bcrypt", "$2b$04$ZYXWVUTSRQPONMLKJIHGFeljDsL2BEUdbiJhIyF8KzyYGAepbMmVu", kaUnicode},
	{"bcrypt_sha256_django", "bcrypt_sha256$$2b$05$Django.salt.for.testsuu7CeEa5yPsfpPC/vYJmAbGYzeJ14lN.", kaPassword},
	{"md5", "5f4dcc3b5aa765d61d8327deb882cf99", "password"},
	{"md5", "9cc2ae8a1ba7a93da39b46fc1019c481", kaPassword},
	{"md5", "9CC2AE8A1BA7A93DA39B46FC1019C481", kaPassword},
	{"sha256", "b3b60767a98a11ec7058b2db23c6efa9b56a653f6089de337effda21990ecc0c", kaUnicode},
	{"scrypt_werkzeug", "scrypt:1024:8:1$wzSalt$f5a70244b0b1c2496ef596187cfa96aa85262a343e9479b7efbe5c08d91a8477e623ec312463281526ad225da98682c5257d2a1e073e4e8d50477c53adfa0092", kaPassword},
	{"scrypt_werkzeug", "scrypt$defaultsalt$11263167692b8036fd891a9ea7ef7b8341555d641b345672b0f19fae0f3f355f01384be3eec94163e797d7598babc13800cf9d0111af3a4c6aeb83435900e491", kaUnicode},
	{"scrypt_werkzeug", "$scrypt:2048:4:2$clerkSalt$eMoHs0duIO5W7Q3ee+sy8WeYloAyhhBhWbtGgBcmoEgoUxKaeTgFdAhPkr8JtZghGDvE08yveoVaL+HzMZflqQ==", kaPassword},
}

func init() {
	for _, ka := range argon2KnownAnswers {
		importKnownAnswers = append(importKnownAnswers, struct{ hasher, digest, password string }{ka.variant, ka.digest, "password"})
	}
}

func TestImportKnownAnswers(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range importKnownAnswers {
		covered[tc.hasher] = true
		t.Run(tc.hasher+"/"+tc.digest, func(t *testing.T) {
			if err := ValidateDigest(tc.hasher, tc.digest); err != nil {
				t.Fatalf("ValidateDigest: %v", err)
			}
			d, err := parseDigest(tc.hasher, tc.digest)
			if err != nil {
				t.Fatal(err)
			}
			for pw, want := range map[string]bool{
				tc.password:                      true,
				tc.password + "x":                false,
				strings.ToUpper(tc.password):     false,
				tc.password[:len(tc.password)-1]: false,
			} {
				if ok, err := d.verify(pw); ok != want || err != nil {
					t.Errorf("verify(%q) = %v, %v; want %v", pw, ok, err, want)
				}
			}
		})
	}
	for _, name := range SupportedHashers() {
		if !covered[name] {
			t.Errorf("no known answer for hasher %s", name)
		}
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func mustPBKDF2(t *testing.T, h func() hash.Hash, plain string, salt []byte, iter, keyLen int) []byte {
	t.Helper()
	k, err := pbkdf2.Key(h, plain, salt, iter, keyLen)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustBcrypt(t *testing.T, p []byte) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword(p, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestImportGenerated builds a digest of each format in the test itself,
// with a fresh random salt, and checks the right and a wrong password.
func TestImportGenerated(t *testing.T) {
	for _, pw := range []string{kaPassword, kaUnicode, "p"} {
		std, raw := base64.StdEncoding.EncodeToString, base64.RawStdEncoding.EncodeToString
		ab64 := func(b []byte) string { return strings.ReplaceAll(raw(b), "+", ".") }
		salt := randomBytes(16)
		saltHex := hex.EncodeToString(salt)
		saltText := "Zq3" + saltHex[:19] // Django-like: 22 alphanumerics, not hex
		sha256Hex := sha256.Sum256([]byte(pw))
		md5Sum, sha256Sum := md5.Sum([]byte(pw)), sha256.Sum256([]byte(pw))
		scryptKey, err := scrypt.Key([]byte(pw), []byte(saltText), 1024, 8, 1, 64)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct{ hasher, digest string }{
			{"argon2id", argon2idPHC(pw, 64, 1, 1, salt, 32)},
			{"argon2i", fmt.Sprintf("$argon2i$v=19$m=64,t=3,p=1$%s$%s", raw(salt), raw(argon2.Key([]byte(pw), salt, 3, 64, 1, 24)))},
			{"bcrypt", mustBcrypt(t, []byte(pw))},
			{"bcrypt_sha256_django", "bcrypt_sha256$" + mustBcrypt(t, []byte(hex.EncodeToString(sha256Hex[:])))},
			{"pbkdf2_sha256", fmt.Sprintf("pbkdf2_sha256$2000$%s$%s", std(salt), std(mustPBKDF2(t, sha256.New, pw, salt, 2000, 32)))},
			{"pbkdf2_sha256", fmt.Sprintf("$pbkdf2-sha256$2000$%s$%s", ab64(salt), ab64(mustPBKDF2(t, sha256.New, pw, salt, 2000, 32)))},
			{"pbkdf2_sha256", fmt.Sprintf("$pbkdf2-sha256$i=2000$%s$%s", raw(salt), raw(mustPBKDF2(t, sha256.New, pw, salt, 2000, 24)))},
			{"pbkdf2_sha256_django", fmt.Sprintf("pbkdf2_sha256$2000$%s$%s", saltText, std(mustPBKDF2(t, sha256.New, pw, []byte(saltText), 2000, 32)))},
			{"pbkdf2_sha512", fmt.Sprintf("pbkdf2_sha512$2000$%s$%x", saltText, mustPBKDF2(t, sha512.New, pw, []byte(saltText), 2000, 64))},
			{"pbkdf2_sha512", fmt.Sprintf("$pbkdf2-sha512$2000$%s$%s", ab64(salt), ab64(mustPBKDF2(t, sha512.New, pw, salt, 2000, 64)))},
			{"pbkdf2_sha512_hex", fmt.Sprintf("pbkdf2_sha512_hex$2000$%s$%x", saltHex, mustPBKDF2(t, sha512.New, pw, salt, 2000, 64))},
			{"pbkdf2_sha1", fmt.Sprintf("pbkdf2_sha1$2000$%s$%x", saltText, mustPBKDF2(t, sha1.New, pw, []byte(saltText), 2000, 32))},
			{"pbkdf2_sha1", fmt.Sprintf("pbkdf2_sha1$2000$%s$%x", saltHex, mustPBKDF2(t, sha1.New, pw, salt, 2000, 32))},
			{"pbkdf2_sha1", fmt.Sprintf("pbkdf2_sha1$2000$%s$%x$24", saltHex, mustPBKDF2(t, sha1.New, pw, salt, 2000, 24))},
			{"pbkdf2_sha1", fmt.Sprintf("pbkdf2_sha1$2000$%s$%s", saltText, std(mustPBKDF2(t, sha1.New, pw, []byte(saltText), 2000, 20)))},
			{"pbkdf2_sha1", fmt.Sprintf("$pbkdf2$2000$%s$%s", ab64(salt), ab64(mustPBKDF2(t, sha1.New, pw, salt, 2000, 20)))},
			{"pbkdf2_sha1", fmt.Sprintf("$pbkdf2-sha1$i=2000,l=20$%s$%s", raw(salt), raw(mustPBKDF2(t, sha1.New, pw, salt, 2000, 20)))},
			{"md5", hex.EncodeToString(md5Sum[:])},
			{"sha256", hex.EncodeToString(sha256Sum[:])},
			{"scrypt_werkzeug", fmt.Sprintf("scrypt:1024:8:1$%s$%x", saltText, scryptKey)},
			{"scrypt_werkzeug", fmt.Sprintf("$scrypt:1024:8:1$%s$%s", saltText, std(scryptKey))},
		}
		for _, tc := range cases {
			t.Run(tc.hasher+"/"+pw, func(t *testing.T) {
				if err := ValidateDigest(tc.hasher, tc.digest); err != nil {
					t.Fatalf("ValidateDigest(%q): %v", tc.digest, err)
				}
				d, _ := parseDigest(tc.hasher, tc.digest)
				if ok, err := d.verify(pw); !ok || err != nil {
					t.Errorf("verify(right) = %v, %v for %s", ok, err, tc.digest)
				}
				if ok, err := d.verify(pw + "!"); ok || err != nil {
					t.Errorf("verify(wrong) = %v, %v for %s", ok, err, tc.digest)
				}
			})
		}
	}
}

func TestValidateDigestErrors(t *testing.T) {
	const bc = "$2b$05$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS"
	for _, tc := range []struct {
		hasher, digest string
		want           error
	}{
		{"", bc, ErrUnsupportedHasher},
		{"BCRYPT", bc, ErrUnsupportedHasher},
		{"phpass", "$P$984478476IagS59wHZvyQMArzfx58u.", ErrUnsupportedHasher},
		{"scrypt_firebase", "x$y$z$w$8$14", ErrUnsupportedHasher},

		{"bcrypt", "", ErrInvalidDigest},
		{"bcrypt", bc[:59], ErrInvalidDigest},
		{"bcrypt", bc + "A", ErrInvalidDigest},
		{"bcrypt", "$2x" + bc[3:], ErrInvalidDigest},
		{"bcrypt", "$3b" + bc[3:], ErrInvalidDigest},
		{"bcrypt", "$2b$03" + bc[6:], ErrInvalidDigest},
		{"bcrypt", "$2b$17" + bc[6:], ErrInvalidDigest},
		{"bcrypt", "$2b$+5" + bc[6:], ErrInvalidDigest},
		{"bcrypt", bc[:20] + "*" + bc[21:], ErrInvalidDigest},
		{"bcrypt", "bcrypt_sha256$" + bc, ErrInvalidDigest},
		{"bcrypt_sha256_django", bc, ErrInvalidDigest},
		{"bcrypt_sha256_django", "bcrypt_sha256$" + bc[:50], ErrInvalidDigest},

		{"argon2id", "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8", ErrInvalidDigest},
		{"argon2i", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrInvalidDigest},

		{"pbkdf2_sha256", "pbkdf2_sha256$1000$c2FsdA==", ErrInvalidDigest},
		{"pbkdf2_sha256", "pbkdf2_sha256$1000$c2FsdA==$$", ErrInvalidDigest},
		{"pbkdf2_sha256", "pbkdf2_sha256$0$c2FsdA==$yqSq2SygY1sB4EcH9f2FG0JTMES+wqLsOT5YmiRBplI=", ErrInvalidDigest},
		{"pbkdf2_sha256", "pbkdf2_sha256$-5$c2FsdA==$yqSq2SygY1sB4EcH9f2FG0JTMES+wqLsOT5YmiRBplI=", ErrInvalidDigest},
		{"pbkdf2_sha256", "pbkdf2_sha256$99999999$c2FsdA==$yqSq2SygY1sB4EcH9f2FG0JTMES+wqLsOT5YmiRBplI=", ErrInvalidDigest},
		{"pbkdf2_sha256", "pbkdf2_sha256$1000$c2Fs*A==$yqSq2SygY1sB4EcH9f2FG0JTMES+wqLsOT5YmiRBplI=", ErrInvalidDigest},
		{"pbkdf2_sha256", "pbkdf2_sha256$1000$c2FsdA==$AAAA", ErrInvalidDigest},
		{"pbkdf2_sha256", "pbkdf2_sha512$1000$c2FsdA==$yqSq2SygY1sB4EcH9f2FG0JTMES+wqLsOT5YmiRBplI=", ErrInvalidDigest},
		{"pbkdf2_sha256", "$pbkdf2-sha256$i=1000,l=31$c2FsdA$yqSq2SygY1sB4EcH9f2FG0JTMES+wqLsOT5YmiRBplI", ErrInvalidDigest},
		{"pbkdf2_sha256", "$pbkdf2-sha256$i=1000,x=1$c2FsdA$yqSq2SygY1sB4EcH9f2FG0JTMES+wqLsOT5YmiRBplI", ErrInvalidDigest},
		{"pbkdf2_sha256", "$pbkdf2-sha512$1000$c2FsdA$yqSq2SygY1sB4EcH9f2FG0JTMES+wqLsOT5YmiRBplI", ErrInvalidDigest},
		{"pbkdf2_sha256_django", "pbkdf2_sha256$1000$seasalt$not base64!", ErrInvalidDigest},
		{"pbkdf2_sha512", "pbkdf2_sha512$1000$salt$not-hex", ErrInvalidDigest},
		{"pbkdf2_sha512_hex", "pbkdf2_sha512_hex$1000$salt$abcdef0123456789", ErrInvalidDigest},
		{"pbkdf2_sha1", "pbkdf2_sha1$1000$00ff10ee20dd30cc$97a6ff8dbf0d0f80cf0b09ba897aad5a8ab5b679$32", ErrInvalidDigest},
		{"pbkdf2_sha1", "pbkdf2_sha1$1000$salt$8ToHl42u2VZ64s1yreRM+BljTiM=$20", ErrInvalidDigest},
		{"pbkdf2_sha1", "pbkdf2_sha1$1000$salt", ErrInvalidDigest},

		{"md5", "5f4dcc3b5aa765d61d8327deb882cf9", ErrInvalidDigest},
		{"md5", "5f4dcc3b5aa765d61d8327deb882cf9g", ErrInvalidDigest},
		{"md5", "b3b60767a98a11ec7058b2db23c6efa9b56a653f6089de337effda21990ecc0c", ErrInvalidDigest},
		{"sha256", "5f4dcc3b5aa765d61d8327deb882cf99", ErrInvalidDigest},

		{"scrypt_werkzeug", "scrypt:1024:8$salt$abcdef0123456789", ErrInvalidDigest},
		{"scrypt_werkzeug", "scrypt:1000:8:1$salt$abcdef0123456789", ErrInvalidDigest},
		{"scrypt_werkzeug", "scrypt:2097152:8:1$salt$abcdef0123456789", ErrInvalidDigest},
		{"scrypt_werkzeug", "scrypt:1024:8:99$salt$abcdef0123456789", ErrInvalidDigest},
		{"scrypt_werkzeug", "pbkdf2:sha256:600000$salt$abcdef0123456789", ErrInvalidDigest},
		{"scrypt_werkzeug", "scrypt:1024:8:1$salt$ab", ErrInvalidDigest},
	} {
		t.Run(tc.hasher+"/"+tc.digest, func(t *testing.T) {
			err := ValidateDigest(tc.hasher, tc.digest)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.digest != "" && strings.Contains(err.Error(), tc.digest) {
				t.Errorf("error %q repeats the digest", err)
			}
		})
	}
}

func TestSupportedHashers(t *testing.T) {
	got := SupportedHashers()
	for _, want := range []string{
		"argon2id", "argon2i", "bcrypt", "bcrypt_sha256_django", "md5",
		"pbkdf2_sha1", "pbkdf2_sha256", "pbkdf2_sha256_django", "pbkdf2_sha512",
		"scrypt_werkzeug", "sha256",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("SupportedHashers() lacks %s", want)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("SupportedHashers() not sorted: %v", got)
	}
}
