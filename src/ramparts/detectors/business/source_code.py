"""Source code, with its language identified from line-level signatures."""

from __future__ import annotations

import re
from collections import Counter

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity, trigger_words
from ramparts.detectors.options import NO_OPTIONS

# Each signature matches at the start of a line (after indentation).
_SIGNATURES: dict[str, str] = {
    "python": r"(?:def [A-Za-z_]\w*\(.*\)[^\n]*:|class \w+(?:\(.*\))?:|from [\w.]+ import "
    r"|import [\w.]+(?: as \w+)?$|if __name__ == ['\"]__main__['\"]:|elif .*:|self\.\w+ = )",
    "javascript": r"(?:(?:export )?(?:async )?function\*? ?\w*\(|(?:const|let|var) \w+ = "
    r"(?:require\(|\(|async|function|\{|\[|new |`)|module\.exports|console\.log\(|import .+ from "
    r"['\"]|\}\);?$)",
    "typescript": r"(?:(?:export )?interface \w+|(?:export )?type \w+ = |(?:const|let) \w+: \w+)",
    "java": r"(?:(?:public|private|protected) (?:static )?(?:final )?(?:class|void|"
    r"[A-Z]\w*(?:<.*>)?|int|String) |System\.out\.print|import java\.|package [\w.]+;$|"
    r"@Override$)",
    "c_cpp": r"(?:#include [<\"]|#define \w|int main\(|std::|printf\(|template ?<|"
    r"(?:unsigned |static |const )*(?:int|void|char|size_t|bool) \*?\w+\([^)]*\) ?\{?$)",
    "csharp": r"(?:using System|namespace [\w.]+|public (?:partial )?class \w+ ?:|Console\.Write)",
    "go": r"(?:package \w+$|func (?:\(\w+ \*?\w+\) )?\w+\(|import \($|\w+ := |"
    r"fmt\.Print|if err != nil \{)",
    "rust": r"(?:fn \w+(?:<.*>)?\(|let mut |impl(?:<.*>)? \w+|use \w+::|pub (?:fn|struct|"
    r"enum) |#\[derive\(|println!\()",
    "ruby": r"(?:def \w+[?!]?(?:\(.*\))?$|require ['\"]|end$|puts |attr_accessor :)",
    "php": r"(?:<\?php|\$\w+ = |echo \$|\$\w+->\w+\(.*\);$)",
    "sql": r"(?i:select .+ from |insert into |update \w+ set "
    r"|create (?:table|index|view) |delete from |alter table |drop table )",
    "shell": r"(?:#!/(?:usr/)?bin/(?:env )?(?:ba|z)?sh|export \w+=|echo \"|fi$|done$|"
    r"then$|sudo |apt-get |chmod |\$\(\w+)",
}
# A literal newline first lets the regex engine jump from line to line; the text
# is scanned with a newline prepended so the first line counts too.
_SIGNATURE = re.compile(
    r"\n[ \t]*(?:"
    + "|".join(f"(?P<{language}>{pattern})" for language, pattern in _SIGNATURES.items())
    + ")",
    re.MULTILINE,
)
_MIN_SIGNALS = 2
# How each signature above begins (a trigger Hyperscan compiles in milliseconds; the
# signatures themselves, ``.*`` and all, take seconds). Keep in step with _SIGNATURES.
_SIGNATURE_STARTS = (
    # Python
    r"def ", r"class ", r"from ", r"import", r"if __name__", r"elif ", r"self\.",
    # JavaScript, TypeScript
    r"export ", r"async ", r"function", r"const ", r"let ", r"var ", r"module\.exports",
    r"console\.log\(", r"\}\)", r"interface ", r"type ",
    # Java, C#
    r"public ", r"private ", r"protected ", r"System\.out\.print", r"package ", r"@Override",
    r"using System", r"namespace ", r"Console\.Write",
    # C, C++
    r"#include ", r"#define ", r"std::", r"printf\(", r"template", r"unsigned ", r"static ",
    r"int ", r"void ", r"char ", r"size_t ", r"bool ",
    # Go, Rust
    r"func ", r"[^\s]+ := ", r"fmt\.Print", r"if err != nil", r"fn ", r"impl", r"use ", r"pub ",
    r"#\[derive\(", r"println!\(",
    # Ruby, PHP
    r"end$", r"require ", r"puts ", r"attr_accessor :", r"<\?php", r"\$[^\s]", r"echo \$",
    # SQL, shell
    trigger_words(
        "select ", "insert into ", "update ", "create ", "delete from ", "alter table ",
        "drop table ",
    ),
    r"#!/", r"echo \"", r"fi$", r"done$", r"then$", r"sudo ", r"apt-get ", r"chmod ", r"\$\(",
)  # fmt: skip


class SourceCodeDetector(Detector):
    name = "source_code"
    option_specs = NO_OPTIONS
    kinds = ("source_code",)
    description = "Source code, with the language identified (Python, JS/TS, Java, C, Go...)."
    # A signature's start at a line start ("^" after a newline, as "\n" in _SIGNATURE).
    triggers = ("(?m)^[ \t]*(?:" + "|".join(_SIGNATURE_STARTS) + ")",)

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        counts: Counter[str] = Counter()
        first, last = len(text), 0
        for match in _SIGNATURE.finditer("\n" + text):
            if match.lastgroup is None:
                continue
            counts[match.lastgroup] += 1
            # Offsets in the prepended text are one more than in ``text``.
            first, last = min(first, match.start()), max(last, match.end() - 1)
        total = sum(counts.values())
        if total < _MIN_SIGNALS:
            return []
        language, hits = counts.most_common(1)[0]
        # TypeScript is also JavaScript-shaped: any TypeScript-only signal decides it.
        if language == "javascript" and counts["typescript"]:
            language = "typescript"
        line_start = text.rfind("\n", 0, first) + 1
        line_end = text.find("\n", last)
        return [
            self.finding(
                context,
                text,
                line_start,
                len(text) if line_end < 0 else line_end,
                kind="source_code",
                score=min(0.95, 0.5 + 0.1 * total),
                explanation=f"source code, language {language} ({hits} of {total} signals)",
                sensitivity=Sensitivity.CONFIDENTIAL,
            )
        ]
