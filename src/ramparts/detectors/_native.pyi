# Stub of the optional C extension built from _native.c (see ramparts.detectors.native).

SOURCE_SHA256: str

def tokenize(view: str, /) -> list[str]:
    """``re.findall(r"\\w+|[^\\w\\s]{1,3}", view)``."""

class NgramWeights:
    def __init__(
        self, unigrams: dict[str, float], bigrams: dict[tuple[str, str], float]
    ) -> None: ...
    def window(self, tokens: list[str], start: int, end: int, /) -> tuple[float, int]:
        """fsum of the weights of the distinct n-grams of tokens[start:end], and their count."""
