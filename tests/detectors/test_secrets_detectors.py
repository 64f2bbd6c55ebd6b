"""Behaviour of each secret detector on realistic text.

Fake credentials are assembled from pieces so that no full token sits in the
repository (push protection and secret scanners would rightly complain).
"""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from ramparts.detectors.base import Finding, ScanContext, Sensitivity
from ramparts.detectors.secrets import (
    DETECTORS,
    ConnectionStringDetector,
    HighEntropyDetector,
    JwtDetector,
    PasswordAssignmentDetector,
    PrivateKeyDetector,
    ProviderCredentialDetector,
)
from ramparts.errors import DetectorError

CTX = ScanContext()
RANDOM_40 = "Zq8x" + "Lw3vN9pT2kR7mY4bC6dF1gH5jK0sQ8aE3uW6iO9"[:36]


def _kinds(findings: list[Finding]) -> list[str]:
    return [f.kind for f in findings]


def _b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _github_token(prefix: str, body: str) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    number, digits = zlib.crc32(body.encode()), ""
    while number:
        number, remainder = divmod(number, 62)
        digits = alphabet[remainder] + digits
    return f"{prefix}_{body}{digits.rjust(6, '0')}"


def test_detectors_tuple_has_stable_unique_names() -> None:
    names = [cls.name for cls in DETECTORS]
    assert names == [
        "secrets.provider",
        "secrets.jwt",
        "secrets.private_key",
        "secrets.connection_string",
        "secrets.password_assignment",
        "secrets.high_entropy",
    ]
    assert all(cls.cost == "cheap" and cls.kinds for cls in DETECTORS)


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("AKIA" + "Z7Q2M4K9T1R8W3X5", "aws-access-key-id"),
        ("xoxb-" + "391809548274-4236212766789-i8EoyACELx2FYnSOkRPEpePN", "slack-bot-token"),
        ("sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc", "stripe-key"),
        (
            "sk-ant-" + "api03-" + "gigCtxD_mMUnJuUOwVtpBmPFdG0-" + "ybrcBb1E" * 8,
            "anthropic-api-key",
        ),
        (
            "sk-proj-" + "qa25MV9c7Qu0EjDIEWdc" + "T3BlbkFJ" + "83uCF0K4yw7RzpY39bio",
            "openai-api-key",
        ),
        ("hf_" + "ElvTjawLAyAgqNIIoQABulKWbrDCwlnKUA", "huggingface-token"),
        (
            "SG." + "ngeVfQFYQlKU0ufo8x5d1A.TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr",
            "sendgrid-api-key",
        ),
        ("glpat-" + "8d5ri2n9g85LAnC9YW85", "gitlab-token"),
        ("AIza" + "SyD8f3kLmN0pQ2rS4tU6vW8xY0zA1bC3dE5", "gcp-api-key"),
        ("npm_" + "Alm0StFaK3t0kEN8uTval1DcRC32dc1Bscp5", "npm-access-token"),
    ],
)
def test_provider_formats_are_found_with_their_rule_id(token: str, kind: str) -> None:
    text = f"please debug this: client = Client(key='{token}') thanks"
    findings = ProviderCredentialDetector().scan(text, CTX)
    assert _kinds(findings) == [kind]
    finding = findings[0]
    assert text[finding.start : finding.end] == token
    assert finding.sensitivity is Sensitivity.RESTRICTED
    assert finding.fingerprint == CTX.fingerprint(token)
    assert token not in repr(finding)
    assert token not in finding.explanation


def test_github_tokens_need_a_valid_checksum() -> None:
    good = _github_token("ghp", "0" * 30)
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    detector = ProviderCredentialDetector()
    assert _kinds(detector.scan(f"token {good}", CTX)) == ["github-pat-classic"]
    assert detector.scan(f"token {bad}", CTX) == []


def test_look_alikes_are_rejected() -> None:
    detector = ProviderCredentialDetector()
    for text in (
        "AKIAIOSFODNN7EXAMPLE",  # AWS documentation example
        "sk_" + "live_" + "0123456789abcdefghijklmn",  # hand-made sequence
        "xoxb-" + "XXXXXXXXXXXX-XXXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX",
        "akab-" + "h5stbzeswb3v4kj3-tblc7jkffv3wfxh3.drain.akamaiapis.net",  # a host name
        "see https://example.com/data:image/png;base64,AAAA",
    ):
        assert detector.scan(text, CTX) == [], text


def test_tokens_inside_data_uri_images_are_ignored() -> None:
    payload = "iVBORw0KGgo" + "EAAC" + "Eb00Kse0BAlGy7KeQ5YnaCEd09Eose0cBAlGy7KeQ5Yna9C" * 3
    text = f'<img src="data:image/png;base64,{payload}">'
    assert ProviderCredentialDetector().scan(text, CTX) == []
    assert HighEntropyDetector().scan(text, CTX) == []


def test_jwt_needs_a_json_header_with_alg_and_json_claims() -> None:
    header = _b64url({"alg": "HS256", "typ": "JWT"})
    claims = _b64url({"sub": "1234567890", "iat": 1516239022})
    token = f"{header}.{claims}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    findings = JwtDetector().scan(f"Authorization: Bearer {token}", CTX)
    assert _kinds(findings) == ["jwt"]
    assert findings[0].score >= 0.9
    not_json = f"{_b64url({'typ': 'JWT'})}.{claims}.abc123abc123"
    assert JwtDetector().scan(not_json, CTX) == []
    random_payload = f"{header}.NiIsInR5cCI6IkpXV.NiIsInR5cCI6IkpXV"
    assert JwtDetector().scan(random_payload, CTX) == []


_PEM_BODY = "\n".join(
    ["MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi" + "Z1BjP5CE/Wm/Rr500P+K"] * 6
    + ["Rr500P+KZ1BjP5CE/Wm/MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi="]
)


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("RSA PRIVATE KEY", "pem-private-key"),
        ("PRIVATE KEY", "pem-private-key"),
        ("EC PRIVATE KEY", "pem-private-key"),
        ("OPENSSH PRIVATE KEY", "openssh-private-key"),
        ("PGP PRIVATE KEY BLOCK", "pgp-private-key"),
    ],
)
def test_private_key_blocks(label: str, kind: str) -> None:
    block = f"-----BEGIN {label}-----\n{_PEM_BODY}\n-----END {label}-----"
    text = f"here is my key:\n{block}\nthanks"
    findings = PrivateKeyDetector().scan(text, CTX)
    assert _kinds(findings) == [kind]
    assert text[findings[0].start : findings[0].end] == block
    assert findings[0].score >= 0.95


def test_private_key_fakes_headers_and_encrypted_keys() -> None:
    detector = PrivateKeyDetector()
    assert (
        detector.scan("-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----", CTX) == []
    )
    body = _PEM_BODY.replace("MII", "i7a")
    fake = "-----BEGIN OPENSSH FAKE PRIVATE KEY-----\n" + body + "\n-----END"
    assert detector.scan(fake, CTX) == []
    ellipsis = (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz...\n-----END RSA PRIVATE KEY-----"
    )
    assert detector.scan(ellipsis, CTX) == []
    encrypted = (
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
        + _PEM_BODY
        + "\n-----END RSA PRIVATE KEY-----"
    )
    [finding] = detector.scan(encrypted, CTX)
    assert finding.score < 0.8
    assert finding.sensitivity is Sensitivity.CONFIDENTIAL


def test_private_key_in_code_with_escaped_newlines_and_base64_wrapping() -> None:
    inline = '"-----BEGIN PRIVATE KEY-----\\n' + _PEM_BODY.replace("\n", "\\n") + '\\n-----END"'
    assert _kinds(PrivateKeyDetector().scan(f"KEY = {inline}", CTX)) == ["pem-private-key"]
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{_PEM_BODY}\n-----END RSA PRIVATE KEY-----\n"
    wrapped = base64.b64encode(("config: |\n" + pem).encode()).decode()
    assert _kinds(PrivateKeyDetector().scan(f"secret: {wrapped}", CTX)) == ["encoded-private-key"]


def test_json_web_key_with_private_member() -> None:
    jwk = '{"kty": "EC", "crv": "P-256", "d": "slaQqyHQPudOpq2mbDskum8rOu9IMkLGjINAFWwfqr8"}'
    assert _kinds(PrivateKeyDetector().scan(f"keys = [{jwk}]", CTX)) == ["jwk-private-key"]
    public = '{"kty": "EC", "crv": "P-256", "x": "slaQqyHQPudOpq2mbDskum8rOu9IMkLGjINAFWwfqr8"}'
    assert PrivateKeyDetector().scan(public, CTX) == []


@pytest.mark.parametrize(
    ("text", "password", "kind"),
    [
        (
            "DATABASE_URL=postgres://app:S3cr3t-pw@db.internal:5432/app",
            "S3cr3t-pw",
            "database-connection-password",
        ),
        (
            "mongodb+srv://jrfdeg42:p4Dsr8b@cluster0.example.net/x",
            "p4Dsr8b",
            "database-connection-password",
        ),
        ("smtps://me@gmail.com:FnD83JZs@smtp.gmail.com:465", "FnD83JZs", "url-password"),
    ],
)
def test_passwords_in_urls(text: str, password: str, kind: str) -> None:
    [finding] = ConnectionStringDetector().scan(text, CTX)
    assert text[finding.start : finding.end] == password
    assert finding.kind == kind


def test_url_placeholders_are_not_passwords() -> None:
    for text in (
        "postgres://user:${DB_PASSWORD}@db/app",
        "redis://:<password>@localhost:6379",
        "https://user:****@example.com",
        "mysql://root:password@localhost/db",
        "https://example.com:8080/path",
    ):
        assert ConnectionStringDetector().scan(text, CTX) == [], text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('DB_PASSWORD = "n84ASM54y4"', "n84ASM54y4"),
        ("password: Prl23Db#@", "Prl23Db#@"),
        ('{"client_secret": "9fG4kL2mQ8rT"}', "9fG4kL2mQ8rT"),
        ("ssh gildong@host (pwd:IhqSb1Gg)", "IhqSb1Gg"),
        ("MYSQLPASS: Ce7shE0ENPiBlE_EdEose0cBAA", "Ce7shE0ENPiBlE_EdEose0cBAA"),
        ("비밀번호:Prl23Db#@", "Prl23Db#@"),
        ("api_key=AbCd1234EfGh5678", "AbCd1234EfGh5678"),
        ('val password: String = "exord13Paw64"', "exord13Paw64"),
        ('def connect(passwd: str = "cq2tPr1a2"):', "cq2tPr1a2"),
        ('if (password !== "PaS5w0rD2#") {', "PaS5w0rD2#"),
        ("PSWD:=FlUgeGeHeImEn03", "FlUgeGeHeImEn03"),
        ('curl_easy_setopt(curl, CURLOPT_PASSWORD, "KiASRCRiGFLPD");', "KiASRCRiGFLPD"),
        ('"#define\tpassword\t\\"n84ASM54y4\\""', "n84ASM54y4"),
        ("CREATE USER 'app'@'%' IDENTIFIED BY 'SqLpa5sW0rD';", "SqLpa5sW0rD"),
        ("ALTER USER app IDENTIFIED WITH mysql_native_password BY 'SqLpa5sW0rD';", "SqLpa5sW0rD"),
        ("ConvertTo-SecureString -String -Force dsjUE#$gds8s", "dsjUE#$gds8s"),
        ('curl -X PUT -u "admin:dG9rZW4g" https://127.0.0.1', "dG9rZW4g"),
        ("curl --user=deploy:Xk29fLq7w https://ci.local/hook", "Xk29fLq7w"),
        ("curl -s https://a.local | curl -u bot:Ghr73mVq2 -d @- https://b.local", "Ghr73mVq2"),
        ("Authorization: Basic " + "YWRtaW46czNjcmV0UGFzcw==", "YWRtaW46czNjcmV0UGFzcw=="),
        (
            'curl -H "Authorization: Bearer ' + '9Uqh8h6y8lOaVx8CdfE0RSbB" https://api.local',
            "9Uqh8h6y8lOaVx8CdfE0RSbB",
        ),
    ],
)
def test_password_assignments(text: str, value: str) -> None:
    [finding] = PasswordAssignmentDetector().scan(text, CTX)
    assert text[finding.start : finding.end] == value


@pytest.mark.parametrize(
    "text",
    [
        "password = os.environ['DB_PASSWORD']",
        "password = get_password()",
        'password: "${DB_PASSWORD}"',
        "password_hash = 8c6976e5b5410415bde908bd4dee15df",
        "Click the password reset link to continue.",
        "token_url = https://auth.example.com/token",
        "the token was revoked yesterday",
        "we bypass the cache; compass heading",
        "passport number is required",
        "secret: true",
        "PWR_MGM: N0tThePSw45f",
        '-passin "file:dkajco1"',
        "#define PASSWORD 0x0dead1beef7cafe2",
        "password: String = getPassword()",
        "login(user, password, retries)",
        "the rows were identified by their ids",
        'curl -X PUT -u "$USER:$PASSWORD" https://127.0.0.1',
        "Authorization: Bearer <token>",
        "Authorization: Bearer YOUR_TOKEN",
        "Authorization: Basic YWRtaW4=",
        "the curly braces -u x:y",
    ],
)
def test_password_assignment_negatives(text: str) -> None:
    assert PasswordAssignmentDetector().scan(text, CTX) == [], text


def test_entropy_catch_all_fires_on_random_tokens() -> None:
    text = f"use this value: {RANDOM_40} to connect"
    [finding] = HighEntropyDetector().scan(text, CTX)
    assert text[finding.start : finding.end] == RANDOM_40
    assert finding.sensitivity is Sensitivity.CONFIDENTIAL
    assert finding.score <= 0.75


@pytest.mark.parametrize(
    "text",
    [
        "request id 550e8400-e29b-41d4-a716-446655440000 failed",
        "fixed in commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 yesterday",
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ok",
        "see src/ramparts/detectors/secrets/provider_rules_v2/module.py",
        "ProviderCredentialDetectorFactoryBuilderImpl is a class",
        "![chart](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==)",
    ],
)
def test_entropy_catch_all_stays_quiet(text: str) -> None:
    assert HighEntropyDetector().scan(text, CTX) == [], text


def test_entropy_skips_line_wrapped_base64_blocks() -> None:
    line = "H4sICIur8mIAA3BlbV9rZXkAbdM3kqNAAEDRnFNMTk3hEQo2oAG1sKIBASIbnLDC29Ovif"
    text = "body: !!binary |\n" + "\n".join(f"    {line[i:] + line[:i]}" for i in range(8))
    assert HighEntropyDetector().scan(text, CTX) == []


def test_entropy_threshold_option() -> None:
    text = f"value {RANDOM_40}"
    assert HighEntropyDetector().scan(text, ScanContext(options={"min_entropy": 6.5})) == []
    with pytest.raises(DetectorError, match="must be a number"):
        HighEntropyDetector().scan(text, ScanContext(options={"min_entropy": "high"}))


def test_terminal_colour_codes_do_not_hide_tokens() -> None:
    token = "sq0csp-" + "ST2dsfwyVI7Ydj343EY72hb48ehKQINMST2ds_fwyVI"
    text = f"\x1b[94m{token}\x1b[0m"
    assert _kinds(ProviderCredentialDetector().scan(text, CTX)) == ["square-oauth-secret"]


def test_an_echoed_redaction_placeholder_is_not_a_password() -> None:
    detector = PasswordAssignmentDetector()
    context = ScanContext(origin="assistant")
    for echoed in ('password = "[SECRET_ASSIGNMENT_1]"', "secret=[PASSWORD_12]"):
        assert detector.scan(echoed, context) == []
    # Anything around the placeholder is a value of its own.
    assert detector.scan('password = "[PASSWORD_1]Zq9x!"', context) != []
