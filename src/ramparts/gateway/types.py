"""The gateway's neutral chat model, between the OpenAI and Anthropic shapes.

Every inbound request is parsed into a :class:`ChatRequest`, every provider
answers with a :class:`ChatResponse` or a stream of :data:`StreamEvent`, and the
caller's codec renders those back. Guardrails operate on these types, so they
work the same whatever shape the caller and the provider speak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "stop_sequence"]
ApiShape = Literal["openai", "anthropic"]


@dataclass(slots=True)
class TextPart:
    text: str


@dataclass(slots=True)
class DocumentPart(TextPart):
    """A plain-text document attached to a turn (Anthropic ``document`` blocks).

    Guardrails scan it with the origin ``document``, so policy can treat
    instructions hidden in documents (indirect injection) apart from the user's words.
    """

    title: str | None = None


@dataclass(slots=True)
class ImagePart:
    """An image by URL, or inline base64 ``data`` with its ``media_type``."""

    url: str | None = None
    data: str | None = None
    media_type: str | None = None
    detail: str | None = None


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as both APIs carry it on the wire when streaming


@dataclass(slots=True)
class ToolResult:
    tool_call_id: str
    parts: list[TextPart | ImagePart]
    is_error: bool = False


Part = TextPart | ImagePart | ToolCall | ToolResult


@dataclass(slots=True)
class Message:
    role: Role
    parts: list[Part]
    name: str | None = None


@dataclass(slots=True)
class ToolSpec:
    name: str
    description: str | None
    parameters: dict[str, Any]


@dataclass(slots=True)
class ChatRequest:
    model: str
    messages: list[Message]
    system: list[TextPart] = field(default_factory=list)
    tools: list[ToolSpec] = field(default_factory=list)
    # "auto" | "none" | "required" | {"name": str}; None leaves the provider default.
    tool_choice: str | dict[str, str] | None = None
    parallel_tool_calls: bool | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] = field(default_factory=list)
    stream: bool = False
    include_usage: bool = False
    n: int = 1
    response_format: dict[str, Any] | None = None
    user: str | None = None
    # Fields the caller sent that the neutral model does not carry; forwarded
    # only to a provider that speaks the caller's shape.
    extra: dict[str, Any] = field(default_factory=dict)
    shape: ApiShape = "openai"

    def texts(self) -> list[str]:
        """All text the model will see, system prompt first."""
        out = [p.text for p in self.system]
        for message in self.messages:
            for part in message.parts:
                if isinstance(part, TextPart):
                    out.append(part.text)
                elif isinstance(part, ToolResult):
                    out.extend(p.text for p in part.parts if isinstance(p, TextPart))
                elif isinstance(part, ToolCall):
                    out.append(part.arguments)
        return out


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    # Set for a direction the upstream did not report, so the gateway estimated it
    # (gateway/usage.py); the audit says so.
    estimated_input: bool = False
    estimated_output: bool = False

    @property
    def estimated(self) -> bool:
        return self.estimated_input or self.estimated_output


@dataclass(slots=True)
class Choice:
    index: int
    parts: list[TextPart | ToolCall]
    finish_reason: FinishReason | None
    stop_sequence: str | None = None

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [p for p in self.parts if isinstance(p, ToolCall)]


@dataclass(slots=True)
class ChatResponse:
    id: str
    model: str
    choices: list[Choice]
    usage: Usage
    created: int = 0


# --- streaming ---------------------------------------------------------------


@dataclass(slots=True)
class TextDelta:
    text: str
    index: int = 0


@dataclass(slots=True)
class ToolCallDelta:
    """A piece of a tool call. The first piece of a call carries ``id`` and ``name``."""

    tool_index: int
    arguments: str = ""
    id: str | None = None
    name: str | None = None
    index: int = 0


@dataclass(slots=True)
class Finish:
    reason: FinishReason
    index: int = 0
    stop_sequence: str | None = None


@dataclass(slots=True)
class UsageUpdate:
    usage: Usage
    # False for a count a later update completes (Anthropic's message_start gives the
    # input and a provisional output): the output is final only once a final one came.
    final: bool = True


StreamEvent = TextDelta | ToolCallDelta | Finish | UsageUpdate


@dataclass(slots=True)
class EmbeddingRequest:
    model: str
    inputs: list[str]
    encoding_format: str | None = None
    dimensions: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class EmbeddingResponse:
    model: str
    vectors: list[list[float]]
    usage: Usage
    raw: dict[str, Any] | None = None  # the provider's own body when it spoke OpenAI
