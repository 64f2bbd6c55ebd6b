"""``password=``-style assignments in code, config, command lines and notes.

The prefilter finds a secret word (password, passwd, pwd, secret, token,
api_key...); the regex then reads the rest of the identifier, a separator and
a value. Values that are code (``os.environ[...]``, ``get_password()``),
placeholders (``${DB_PASSWORD}``, ``<password>``, ``****``) or plain words are
ignored. Identifiers that name something else (``password_hash``, ``token_url``)
are ignored too. Statements whose syntax marks the password are read as such:
SQL ``IDENTIFIED BY``, PowerShell ``ConvertTo-SecureString``, ``curl -u user:pw``
and HTTP ``Authorization: Basic/Bearer`` headers.
"""

from __future__ import annotations

import base64
import binascii
import re

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import NO_OPTIONS
from ramparts.detectors.pattern_set import PatternSet, escape
from ramparts.detectors.secrets.rule import case_variants, shannon_entropy

# Includes common abbreviations (PSWD, PASWRD...) and Korean words for password.
_PASSWORD_WORDS = (
    "pass",
    "pwd",
    "pw",
    "pswd",
    "psswd",
    "pswrd",
    "psword",
    "psswrd",
    "pssword",
    "paswd",
    "paswrd",
    "pasword",
    "비밀번호",
    "비번",
    "암호",
    "패스워드",
)
_SECRET_WORDS = (
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "private_key",
    "credential",
    "auth_key",
    "client_secret",
    "signing_key",
    "encryption_key",
)
# Statements whose syntax marks the password: SQL and PowerShell.
_SQL_PASSWORD = re.compile(
    r"(?i:identified)(?:\s{1,4}(?i:with)\s{1,4}[\"'`]?\w{1,40}[\"'`]?)?\s{1,4}(?i:by)\s{1,4}"
    r"\\?(?P<q>[\"'`]?)(?P<value>[^\s\"'`;\\]{3,200}+)"
)
_SECURE_STRING = re.compile(
    r"(?i:convertto-securestring)(?:\s{1,4}-\w{1,20}){0,4}\s{0,4}"
    r"\\?(?P<q>[\"'`]?)(?P<value>[^\s\"'`\\]{3,200}+)"
)
_STATEMENTS = {"identified": _SQL_PASSWORD, "convertto-securestring": _SECURE_STRING}
# curl's -u/--user option on the command line, up to 300 characters after `curl`.
_CURL_OPTION = re.compile(r"[ \t](?:-u|--user)(?:[ \t]{1,4}|=)")
_CURL_CREDENTIALS = re.compile(r"\\?(?P<q>[\"']?)[^\s:\"']{1,128}:(?P<value>[^\s\"']{3,200}+)")
_CURL_REACH = 300
# HTTP Authorization headers: Basic (base64 of user:password) and bearer tokens.
_AUTHORIZATION = re.compile(
    r"(?i:authorization)[\"']?\s{0,4}[:=,]\s{0,4}\\?[\"']?(?P<scheme>(?i:basic|bearer|token))"
    r"[ \t]{1,4}(?P<value>[A-Za-z0-9._~+/\-]{8,2000}+={0,2})"
)
_KEYWORDS = case_variants(
    *_PASSWORD_WORDS,
    *_SECRET_WORDS,
    *_STATEMENTS,
    "ConvertTo-SecureString",
    "curl",
    "Authorization",
)
_KEYWORD_PATTERNS = tuple(escape(word) for word in _KEYWORDS)
_KEYWORD_SET = PatternSet(_KEYWORD_PATTERNS)

# Separators: typed declarations (`password: String = "..."`), := => === !== == != = :
# a call or a define (`PASSWORD("...")`, `CURLOPT_PASSWORD, "..."`), "is"/"was" in prose;
# quotes may be escaped (`\"...\"` inside a string literal).
# Values: the whole value, or a redaction would leave its tail in clear. Quoted, it runs to
# its closing quote, through escapes (`"pa\"ss"`) and a quote with a letter or digit right
# after it (`"pa"ss"`; not `"pass".`); bare, through a quote between letters or digits
# (`pa"ss`; not `pa" `, nor `name="x` in markup).
_BARE = r"[^\s\"'`,;&<>()\[\]{}]"
_MAX_VALUE = 200
_ASSIGNMENT = re.compile(
    r"(?P<rest>[A-Za-z0-9_\-]{0,24}+)[\"'\])]{0,2}"
    r"(?:(?P<sep>\s{0,4}(?::\s{0,4}[A-Za-z_][\w.\[\]]{0,30}\s{0,4}=(?!=)|:=|=>|!==|===|==|!="
    r"|=|:|\(|,(?=\s{0,4}\\?[\"'])|\s(?:is|was):?)\s{0,4}(?:[rbu@]?(?=\\?[\"'`]))?)"
    r"|(?P<space>[ \t]{1,4}))"
    r"(?:\\(?P<eq>[\"'`])(?P<escaped>[^\"'`\\\r\n]{3,200}+)\\?(?P=eq)"
    # Runs of plain characters between at most 8 escapes or inner quotes (a value over
    # _MAX_VALUE is dropped in _check). The inner-quote steps are not possessive: the
    # value may back off to an earlier quote that then closes it (`"pass"x` at line end).
    r"|(?P<q>[\"'`])(?P<quoted>[^\"'`\\\r\n]{0,200}+"
    r"(?:(?:\\[^\r\n]|(?P=q)(?=[^\W_]))[^\"'`\\\r\n]{0,200}+){0,8})(?P=q)"
    rf"|(?P<bare>{_BARE}(?:{_BARE}|(?<=[^\W_])[\"'`](?=[^\W_])){{2,199}}+))"
)
# Suffixes that turn a secret word into something else: password_hash, token_url,
# passport, passed, tokenizer, secretary...
_NOT_A_SECRET_NAME = re.compile(
    r"(?i)(?:(?:^|[_\-])(?:id|name|names|url|uri|path|file|type|len|length|size|field|hash|hashed|"
    r"format|policy|count|label|header|prompt|hint|reset|expir\w*|valid\w*|enabled|required|mode|"
    r"endpoint|limit|usage|regex|pattern|placeholder|input|manager|store|policy|strength)"
    r"|^(?:port|ports|ed|es|ing|age|ages|enger|engers|ive|able|over|through|thru|s|izer|ize|ized|"
    r"ization|ary|aries|ly|ion|ions|ions|ure))$"
)
# The last alternative is the gateway's own redaction placeholder ("[SECRET_ASSIGNMENT_1]"):
# a model echoing a redacted assignment shows no credential.
_PLACEHOLDER = re.compile(
    r"(?i)^(?:\[[A-Z][A-Z0-9_]{0,40}_\d{1,6}\]$|"
    r"\$\{?.*|%[sd(].*|\{\{?.*|<.*>?|\*{3,}.*|x{3,}|\.{3}.*|_+|-+|\?+|#+|"
    r"(?:true|false|null|none|nil|undefined|required|optional|string|str|int|bool|hidden|empty|"
    r"password|passwd|secret|token|changeme|example|your[_-]?\w*|placeholder|redacted|\w*_here)$)"
)
# Short keywords only count as a whole name or the start of one: PW=, pwd_file,
# password, passwd, passphrase; not PWR_MGM, pwdump or -passin.
_SHORT_WORD_REST = re.compile(r"(?i)(?:|[_\-.].*|(?:word|wd|phrase|code)\w*)")
_SHORT_WORDS = frozenset({"pass", "pwd", "pw"})
# References to a secret kept elsewhere, and Jasypt-style encrypted values: ENC(...).
_REFERENCE = re.compile(
    r"(?i)^(?:0x[0-9a-f]+|(?:file|env|fd|stdin|vault|secret|ref)\b:.*|enc\(.*\)|[a-z][a-z0-9+.\-]*://.*)$"
)
_CODE = re.compile(r"^[A-Za-z_][A-Za-z_.]*(?:\(.*|\[.*)?$")
# "ID PW 192.168.0.1 admin s3cret", "ID PW bob@example.com ...": with a loose separator
# the first value after the word may be the host or the login, never the password.
_HOST_OR_LOGIN = re.compile(
    r"^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?::[0-9]{1,5})?|[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,8})$"
)


class PasswordAssignmentDetector(Detector):
    """Passwords and secrets assigned to a secret-named key (``password=``, ``"token": "…"``)."""

    name = "secrets.password_assignment"
    option_specs = NO_OPTIONS
    kinds = ("password-assignment", "secret-assignment")
    description = "Values assigned to password, secret, token and API-key names"
    triggers = _KEYWORD_PATTERNS

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        covered = -1
        curl = _CurlCommands(text)
        for start, word in _keyword_hits(text):
            if start < covered or _inside_word(text, start, word):
                continue
            finding = self._at(context, text, start, word, curl)
            if finding is not None:
                findings.append(finding)
                covered = finding.end
        return findings

    def _at(
        self, context: ScanContext, text: str, start: int, word: str, curl: _CurlCommands
    ) -> Finding | None:
        """The finding that the keyword ``word`` at ``start`` introduces, if any."""
        lowered = word.lower()
        if lowered == "authorization":
            return self._authorization(context, text, _AUTHORIZATION.match(text, start))
        if lowered == "curl":
            return self._statement(context, text, curl.credentials_after(start))
        statement = _STATEMENTS.get(lowered)
        if statement is not None:
            return self._statement(context, text, statement.match(text, start))
        match = _ASSIGNMENT.match(text, start + len(word))
        return None if match is None else self._check(context, text, word, match)

    def _check(
        self, context: ScanContext, text: str, word: str, match: re.Match[str]
    ) -> Finding | None:
        is_password = word.lower().startswith(_PASSWORD_WORDS)
        rest = match.group("rest")
        if _NOT_A_SECRET_NAME.search(rest):
            return None
        if word.lower() in _SHORT_WORDS and not _SHORT_WORD_REST.fullmatch(rest):
            return None
        group = next(g for g in ("quoted", "escaped", "bare") if match.group(g) is not None)
        value = match.group(group)
        if len(value) > _MAX_VALUE:
            return None  # a long quoted text, not a password
        loose = match.group("space") is not None or "is" in (match.group("sep") or "")
        if not _plausible(value, quoted=group != "bare", strict=loose or not is_password):
            return None
        score = 0.6 if loose else 0.8
        kind = "password-assignment" if is_password else "secret-assignment"
        return self.finding(
            context,
            text,
            match.start(group),
            match.end(group),
            kind=kind,
            score=score,
            explanation=f"value assigned to a {'password' if is_password else 'secret'}-named "
            f"key ({len(value)} characters)",
            sensitivity=Sensitivity.RESTRICTED,
        )

    def _statement(
        self, context: ScanContext, text: str, match: re.Match[str] | None
    ) -> Finding | None:
        """Passwords in SQL `IDENTIFIED BY`, PowerShell `ConvertTo-SecureString`, `curl -u`."""
        if match is None:
            return None
        value = match.group("value")
        if not _plausible(value, quoted=bool(match.group("q")), strict=False):
            return None
        return self.finding(
            context,
            text,
            match.start("value"),
            match.end("value"),
            kind="password-assignment",
            score=0.8,
            explanation=f"password in a credential statement ({len(value)} characters)",
            sensitivity=Sensitivity.RESTRICTED,
        )

    def _authorization(
        self, context: ScanContext, text: str, match: re.Match[str] | None
    ) -> Finding | None:
        """``Authorization: Basic <user:password in base64>`` or ``Bearer <token>``."""
        if match is None:
            return None
        value = match.group("value")
        basic = match.group("scheme").lower() == "basic"
        if basic and not _basic_credentials(value):
            return None
        if not basic and not _plausible(value, quoted=False, strict=True):
            return None
        return self.finding(
            context,
            text,
            match.start("value"),
            match.end("value"),
            kind="password-assignment" if basic else "secret-assignment",
            score=0.85,
            explanation=f"credentials in an HTTP Authorization header ({len(value)} characters)",
            sensitivity=Sensitivity.RESTRICTED,
        )


class _CurlCommands:
    """``-u user:password`` after ``curl`` on the same line, each character searched once.

    A flood of ``curl`` words would otherwise search the same 300 characters per word.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.searched_to = 0

    def credentials_after(self, start: int) -> re.Match[str] | None:
        text = self.text
        end = start + len("curl")
        if end < len(text) and (text[end].isalnum() or text[end] in "_-"):
            return None  # curly, curl_easy_setopt: not the command
        line_end = text.find("\n", end, end + _CURL_REACH)
        limit = line_end if line_end != -1 else min(len(text), end + _CURL_REACH)
        option = _CURL_OPTION.search(text, max(end, self.searched_to), limit)
        if option is None:
            self.searched_to = max(self.searched_to, limit)
            return None
        self.searched_to = max(self.searched_to, option.start())
        if any(c in text[end : option.start()] for c in "|;&"):
            return None  # the option belongs to another command of a pipeline or list
        return _CURL_CREDENTIALS.match(text, option.end())


def _basic_credentials(value: str) -> bool:
    """Basic auth is base64 of ``user:password`` (with a password)."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    _, colon, password = decoded.partition(":")
    return bool(colon and password and decoded.isprintable())


def _keyword_hits(text: str) -> list[tuple[int, str]]:
    """(start, keyword) pairs, the longest keyword at each start ("password" over "pass")."""
    hits: dict[int, str] = {}
    for pattern_id, end in _KEYWORD_SET.scan(text):
        word = _KEYWORDS[pattern_id]
        start = end - len(word)
        if len(word) > len(hits.get(start, "")):
            hits[start] = word
    return sorted(hits.items())


def _inside_word(text: str, start: int, word: str) -> bool:
    """'bypass', 'compass': a lower-case keyword glued to a lower-case letter is not a name."""
    if start == 0 or not word[0].islower():
        return False
    return text[start - 1].islower()


def _plausible(value: str, *, quoted: bool, strict: bool) -> bool:
    value = value.strip()
    if len(value) < 4 or _PLACEHOLDER.match(value) or _REFERENCE.match(value):
        return False
    if not quoted and _CODE.match(value):
        return False
    if strict and _HOST_OR_LOGIN.match(value):
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    if strict:
        return len(value) >= 6 and classes >= 2 and shannon_entropy(value) >= 2.5
    return classes >= 2 or (quoted and len(value) >= 6)
