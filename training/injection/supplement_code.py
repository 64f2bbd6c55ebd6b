"""Developer prompts for the benign supplement: code, configs, logs, SQL, shell (project-authored).

The attack sets are full of braces, quotes, brackets and the words "password",
"token", "system", "ignore", "admin", "override"; the benign sets hold almost no
code. So the model scored a pasted stack trace or "if password == stored" as an
attack. These rows are requests around generated snippets in several languages
whose identifiers, messages and keys use that vocabulary innocently. No row
speaks to the assistant from inside the code: a comment addressing the AI is an
attack and stays one. Deterministic and training-only, like the rest of the
supplement.
"""

# ruff: noqa: S608  (the SQL here is sample text for training, never executed)
from __future__ import annotations

import random
from collections.abc import Callable

SEED = 11
CODE_ROWS = 1600
# fmt: off
_WORDS = {
    "var": ["password", "passwd", "admin_password", "api_token", "access_token", "secret_key",
            "client_secret", "auth_token", "refresh_token", "session_key", "system_prompt",
            "user_prompt", "instructions", "override", "bypass_cache", "ignore_case", "root_dir",
            "admin_email", "db_password", "token", "prompt", "secret", "sudo_user", "api_key"],
    "fn": ["check_password", "verify_token", "is_admin", "load_system_prompt", "build_prompt",
           "parse_instructions", "override_settings", "bypass_auth_for_tests", "ignore_errors",
           "reset_admin_password", "rotate_secret", "get_token", "validate_login",
           "render_prompt", "strip_secrets", "has_root_access", "apply_overrides"],
    "Cls": ["AdminController", "TokenStore", "PasswordPolicy", "PromptBuilder", "SecretCache",
            "SystemConfig", "AuthMiddleware", "InstructionParser", "OverrideResolver",
            "RootCommand", "SessionManager"],
    "attr": ["role", "password_hash", "token", "is_admin", "permissions", "secret",
             "system_prompt", "level", "scopes", "group"],
    "lit": ["admin", "root", "superuser", "system", "ignore", "override", "bypass", "owner"],
    "ENV": ["ADMIN_PASSWORD", "API_TOKEN", "SECRET_KEY", "OPENAI_API_KEY", "DB_PASSWORD",
            "SYSTEM_PROMPT_PATH", "GITHUB_TOKEN", "ROOT_PASSWORD", "JWT_SECRET", "SLACK_TOKEN"],
    "lang": ["Python", "TypeScript", "JavaScript", "Go", "Rust", "Java", "C#", "Kotlin", "PHP",
             "Ruby", "Bash", "SQL"],
    "table": ["users", "admins", "api_tokens", "sessions", "password_resets", "prompts",
              "audit_log", "secrets", "roles"],
    "col": ["password_hash", "token", "is_admin", "last_login", "reset_token", "role",
            "system_prompt", "secret_ref", "revoked_at", "override_reason"],
    "svc": ["nginx", "postgresql", "redis", "sshd", "docker", "gunicorn", "vault"],
    "path": ["/etc/app/secrets.env", "~/.ssh/id_ed25519", "config/admin.yml", ".env.local",
             "/var/run/secrets/token", "prompts/system.txt", "/root/.pgpass"],
    "file": ["auth.py", "login.ts", "admin_views.py", "token_service.go", "prompt.rs",
             "settings.py", "middleware.js", "SecurityConfig.java"],
    "user": ["admin", "root", "deploy", "svc_backup", "jenkins", "alice", "system"],
}
_ASK = [
    "Can you spot the bug in this?", "What does this snippet do?", "Why doesn't this work?",
    "Please review the following code.", "How would you make this faster?",
    "Port this to {lang}.", "Add comments to this code.", "Any security issues here?",
    "Simplify this, please.", "Write unit tests for the code below.",
    "This throws at runtime. Why?", "Walk me through this line by line.",
    "How would you refactor this?", "Is this safe to run concurrently?",
    "What's a more idiomatic way to write this in {lang}?", "Help me understand this snippet.",
    "Tidy this up before I open a PR.", "Rename things here so the intent is clearer.",
    "Is there a race condition in this?", "Could this leak the {var}?",
    "Code review request:", "Quick sanity check on this:", "Does this look right to you?",
    "I inherited this code and don't get it.", "The linter flags this block, why?",
    "Convert this to async.", "Add type annotations here.", "Find the off-by-one here.",
]
# Logs, traces and configs get their own questions: nobody asks to "port" a stack trace.
_ASK_ERROR = [
    "What is causing this?", "Why am I seeing this?", "How do I get rid of this failure?",
    "Got this after upgrading, any idea?", "What does this message mean?",
    "This shows up on every deploy:", "Can you decode this output for me?",
    "Our on-call saw this overnight. Root cause?", "Where should I start debugging this?",
]
_ASK_CONFIG = [
    "Is this config correct?", "Anything insecure in this file?", "Why is this setting ignored?",
    "How do I override one value here per environment?", "Convert this to {lang} settings.",
    "Can you tidy this file?", "Which of these values should live in a vault?",
]
_TAIL = [
    "", "", "", "Thanks!", "It passes locally but fails in CI.", "We're on {lang}.",
    "Keep the public interface unchanged.", "What am I missing?",
    "The {var} comes from the environment.", "Performance matters here.",
    "Please explain your changes.", "It's for an internal tool.",
]
_TASK = [
    "ignore one specific compiler warning", "override equals and hashCode consistently",
    "seed an admin account in a fresh database", "load settings from a TOML file with defaults",
    "pin a self-signed certificate for a staging API",
    "migrate password hashes from bcrypt to argon2",
    "invalidate the CDN cache after a deploy", "use verbose regex mode with comments",
    "silence a deprecation warning in the test run", "version system prompts alongside the code",
    "keep secrets out of exception messages", "give a deploy user limited sudo rights",
    "override a config value from the command line", "show a page only to the ops group",
    "generate a random reset token", "mock the auth token in unit tests",
    "rotate a leaked secret key", "ignore blank lines when parsing a file",
    "template a prompt with user input safely", "undo a force-push that overwrote commits",
    "list every user with admin rights", "expire a refresh token after logout",
]
# fmt: on


def _python(w: dict[str, str], rng: random.Random) -> str:
    shapes = [
        f"def {w['fn']}(user, {w['var']}):\n    if user.{w['attr']} == '{w['lit']}':\n"
        f"        return True\n    return hmac.compare_digest({w['var']}, user.{w['attr']})",
        f"{w['var']} = os.environ.get('{w['ENV']}')\nif not {w['var']}:\n"
        f"    sys.exit('missing {w['ENV']}')",
        f"class {w['Cls']}(Base):\n    def {w['fn']}(self, {w['var']}=None):\n"
        f"        {w['var']} = {w['var']} or self.defaults['{w['var']}']\n"
        f"        return super().{w['fn']}({w['var']})",
        f"with open('{w['path']}') as fh:\n    {w['var']} = fh.read().strip()\n"
        f"print(len({w['var']}))",
        f"@app.route('/{w['lit']}/<int:uid>', methods=['POST'])\n@login_required\n"
        f"def {w['fn']}(uid):\n    if not current_user.{w['attr']}:\n        abort(403)\n"
        f"    return jsonify(ok=True)",
        f"for row in rows:\n    if row['{w['col']}'] is None:\n        continue  # ignore\n"
        f"    totals[row['{w['col']}']] += 1",
    ]
    return rng.choice(shapes)


def _javascript(w: dict[str, str], rng: random.Random) -> str:
    shapes = [
        f"const {w['var']} = process.env.{w['ENV']};\nif (!{w['var']}) {{\n"
        f"  throw new Error('{w['ENV']} is not set');\n}}",
        f"function {w['fn']}(user) {{\n  return user.{w['attr']} === '{w['lit']}';\n}}",
        f"app.use((req, res, next) => {{\n  const {w['var']} = req.headers['x-{w['lit']}-token'];"
        f"\n  if (!{w['var']}) return res.sendStatus(401);\n  next();\n}});",
        f"export async function {w['fn']}(): Promise<string> {{\n"
        f"  const res = await fetch(url, {{ headers: {{ 'X-Api-Key': {w['var']} }} "
        f"}});\n  return (await res.json()).{w['attr']};\n}}",
        f"interface {w['Cls']} {{\n  {w['attr']}: string;\n  {w['var']}?: string;\n}}",
    ]
    return rng.choice(shapes)


def _jvm_go_rust(w: dict[str, str], rng: random.Random) -> str:
    shapes = [
        f"@Override\npublic boolean {w['fn']}(User user) {{\n"
        f'    return "{w["lit"]}".equals(user.get{w["Cls"]}());\n}}',
        f"func {w['Cls']}(ctx context.Context, {w['var']} string) error {{\n"
        f'\tif {w["var"]} == "" {{\n\t\treturn errors.New("empty {w["var"]}")\n\t}}\n'
        f"\treturn nil\n}}",
        f"fn {w['fn']}(&self, {w['var']}: &str) -> Result<bool, AuthError> {{\n"
        f'    let stored = self.store.get("{w["lit"]}")?;\n    Ok(stored == {w["var"]})\n}}',
        f'public override string ToString() => $"{w["Cls"]}({{Name}})";  // hides {w["var"]}',
        f"override fun {w['fn']}({w['var']}: String): Boolean {{\n"
        f'    return {w["var"]}.isNotBlank() && role == "{w["lit"]}"\n}}',
        f"if (password_verify(${w['var']}, $row['{w['col']}'])) {{\n"
        f"    $_SESSION['{w['attr']}'] = $row['{w['attr']}'];\n}}",
    ]
    return rng.choice(shapes)


def _sql(w: dict[str, str], rng: random.Random) -> str:
    shapes = [
        f"SELECT user_id, count(*) FROM {w['table']} WHERE {w['col']} IS NULL\n"
        f"GROUP BY user_id HAVING count(*) > 3;",
        f"UPDATE {w['table']} SET {w['col']} = NULL WHERE updated_at < now() - interval '90 days';",
        f"CREATE TABLE {w['table']} (\n  id BIGSERIAL PRIMARY KEY,\n  {w['col']} TEXT NOT NULL,\n"
        f"  created_at TIMESTAMPTZ DEFAULT now()\n);",
        f"GRANT SELECT, UPDATE ON {w['table']} TO {w['user']};",
        f"DELETE FROM {w['table']} t USING users u\n"
        f"WHERE t.user_id = u.id AND u.{w['col']} IS NULL;",
    ]
    return rng.choice(shapes)


def _shell(w: dict[str, str], rng: random.Random) -> str:
    lines = [
        f"sudo journalctl -u {w['svc']} --since today",
        f"export {w['ENV']}=$(cat {w['path']})",
        f"grep -rn '{w['var']}' . --exclude-dir=.git",
        f"chmod 600 {w['path']}",
        f"ssh {w['user']}@build-01 'sudo -n true' || echo 'needs a password'",
        f"docker run --rm -e {w['ENV']} registry.local/{w['svc']}:latest",
        f'kubectl create secret generic {w["svc"]}-creds --from-literal={w["var"]}="$VALUE"',
        f"git log -p -- {w['path']}",
        f'curl -sf -H "Authorization: Bearer ${w["ENV"]}" https://api.internal/{w["lit"]}',
        f"sudo passwd -l {w['user']}",
    ]
    picked = rng.sample(lines, rng.randint(1, 3))
    prefix = rng.choice(["", "#!/usr/bin/env bash\nset -euo pipefail\n", "$ "])
    return prefix + "\n".join(picked)


def _config(w: dict[str, str], rng: random.Random) -> str:
    shapes = [
        f"{w['svc']}:\n  {w['var']}: ${{{w['ENV']}}}\n  {w['attr']}: {w['lit']}\n"
        f"  ignore_errors: false",
        f'{{\n  "{w["var"]}": "<set in vault>",\n  "{w["attr"]}": "{w["lit"]}",\n'
        f'  "override": true\n}}',
        f"[{w['svc']}]\n{w['var']} = ${{{w['ENV']}}}\nadmin_user = {w['user']}\n",
        f"{w['ENV']}=\nDEBUG=false\nADMIN_EMAIL=ops@example.com",
        f"FROM node:22-alpine\nWORKDIR /srv\nCOPY --chown={w['user']} . .\n"
        f"RUN --mount=type=secret,id={w['var']} npm ci",
        f'[llm]\nprovider = "local"\nsystem_prompt_path = "{w["path"]}"\ncontext_window = 8192',
        f"[Unit]\nDescription={w['svc']} worker\n[Service]\nUser={w['user']}\n"
        f"EnvironmentFile={w['path']}",
        f"*.pyc\n.env\n{w['path']}\nnode_modules/\n",
    ]
    return rng.choice(shapes)


def _log(w: dict[str, str], rng: random.Random) -> str:
    messages = [
        f"token refresh failed for user {w['user']}: 401",
        f"session opened for {w['user']} via sso (id {rng.randint(1000, 9999)})",
        f"password policy check skipped for service account {w['user']}",
        f"ignoring unknown field '{w['col']}' in payload",
        f"overriding {w['var']} from environment",
        f"system prompt loaded ({rng.randint(200, 4000)} chars) from {w['path']}",
        f"permission denied opening {w['path']}",
        f"admin action: {w['fn']} by {w['user']}",
        f"retrying request after {w['var']} expired (attempt {rng.randint(1, 5)})",
    ]
    levels = ["INFO", "WARN", "ERROR", "DEBUG"]
    lines = [
        f"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T0{rng.randint(0, 9)}:1{rng.randint(0, 9)}"
        f"Z {rng.choice(levels)} [{w['svc']}] {rng.choice(messages)}"
        for _ in range(rng.randint(1, 3))
    ]
    return "\n".join(lines)


def _trace(w: dict[str, str], rng: random.Random) -> str:
    n = rng.randint(12, 480)
    shapes = [
        f'Traceback (most recent call last):\n  File "{w["file"]}", line {n}, in {w["fn"]}\n'
        f"    {w['var']} = settings['{w['ENV']}']\nKeyError: '{w['ENV']}'",
        f"TypeError: {w['fn']} is not a function\n    at {w['fn']} ({w['file']}:{n}:17)",
        f'Exception in thread "main" java.lang.IllegalStateException: {w["var"]} must not be '
        f"null\n\tat com.example.{w['Cls']}.{w['fn']}({w['Cls']}.java:{n})",
        f"panic: runtime error: invalid memory address or nil pointer dereference\n"
        f"main.{w['Cls']}(...)\n\t/src/{w['file']}:{n}",
        f"error[E0382]: borrow of moved value: `{w['var']}`\n  --> src/{w['file']}:{n}:9",
        f"FileNotFoundError: [Errno 2] No such file or directory: '{w['path']}'",
        f'psql: error: FATAL:  role "{w["user"]}" does not exist',
        f"{w['svc']}: {w['path']}: No such file or directory",
    ]
    return rng.choice(shapes)


def _diff(w: dict[str, str], rng: random.Random) -> str:
    changes = [
        (
            f"if {w['var']} != record.{w['attr']}:",
            f"if not hmac.compare_digest({w['var']}, record.{w['attr']}):",
        ),
        (f"log.info('{w['var']}=%s', {w['var']})", f"log.info('{w['var']} set')"),
        ("timeout = 30", f"timeout = settings.get('{w['var']}_timeout', 30)"),
        (f"role = '{w['lit']}'", f"role = user.{w['attr']}"),
        (f"# TODO: check {w['attr']}", f"require_{w['attr']}(user)"),
        ("retries = 0", "retries = config.max_retries  # was ignoring flaky errors"),
    ]
    old, new = rng.choice(changes)
    n = rng.randint(3, 300)
    return (
        f"--- a/{w['file']}\n+++ b/{w['file']}\n@@ -{n},3 +{n},3 @@ def {w['fn']}(user):\n"
        f"     user = load_user(uid)\n-    {old}\n+    {new}\n     return user"
    )


def _markup(w: dict[str, str], rng: random.Random) -> str:
    shapes = [
        f'<form action="/{w["lit"]}/login" method="post">\n'
        f'  <input type="password" name="{w["var"]}" autocomplete="current-password">\n'
        f"  <button>Sign in</button>\n</form>",
        f"export function {w['Cls']}({{ {w['attr']} }}) {{\n"
        f"  return <button v-if=\"user.{w['attr']} === '{w['lit']}'\">Manage</button>;\n}}",
        f"## Configuration\n\nSet `{w['ENV']}` before starting the {w['svc']} container. "
        f"Never commit it; the `.env` file is ignored by git.",
        f"| key | default | notes |\n|---|---|---|\n| `{w['var']}` | none | required |\n"
        f"| `{w['attr']}` | `{w['lit']}` | overrides the global setting |",
    ]
    return rng.choice(shapes)


_Snippet = Callable[[dict[str, str], random.Random], str]
_SNIPPETS: tuple[tuple[_Snippet, list[str]], ...] = (
    (_python, _ASK),
    (_python, _ASK),
    (_javascript, _ASK),
    (_jvm_go_rust, _ASK),
    (_sql, _ASK),
    (_shell, _ASK),
    (_config, _ASK_CONFIG),
    (_log, _ASK_ERROR),
    (_trace, _ASK_ERROR),
    (_diff, _ASK),
    (_markup, _ASK),
)


def _question(w: dict[str, str], rng: random.Random) -> str:
    task = rng.choice(_TASK)
    return rng.choice(
        [
            f"How do I {task} in {w['lang']}?",
            f"What's the cleanest way to {task}?",
            f"In {w['lang']}, is there a built-in way to {task}?",
            f"Show me how to {task}, with a short example.",
            f"Best practice to {task}? We use {w['lang']}.",
        ]
    )


def code_supplement() -> list[str]:
    """Deterministic developer prompts: a request around a snippet, or a how-to question."""
    rng = random.Random(SEED)
    rows = []
    for _ in range(CODE_ROWS):
        w = {key: rng.choice(options) for key, options in _WORDS.items()}
        if rng.random() < 0.15:
            rows.append(_question(w, rng))
            continue
        make, asks = rng.choice(_SNIPPETS)
        snippet = make(w, rng)
        ask = rng.choice(asks).format(**w)
        tail = rng.choice(_TAIL).format(**w)
        fence = rng.random() < 0.3
        body = f"```\n{snippet}\n```" if fence else snippet
        parts = [body, ask] if rng.random() < 0.2 else [ask, body]
        rows.append("\n".join([*parts, tail]).strip())
    return list(dict.fromkeys(rows))
