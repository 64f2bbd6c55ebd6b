"""Upstream providers, built from settings by type."""

from __future__ import annotations

from ramparts.config import ProviderSettings
from ramparts.gateway.providers.anthropic import AnthropicProvider
from ramparts.gateway.providers.base import Provider
from ramparts.gateway.providers.echo import EchoProvider
from ramparts.gateway.providers.openai_compat import OpenAICompatibleProvider

PROVIDER_TYPES: dict[str, type[EchoProvider | OpenAICompatibleProvider | AnthropicProvider]] = {
    "echo": EchoProvider,
    "openai-compatible": OpenAICompatibleProvider,
    "anthropic": AnthropicProvider,
}


def build_provider(name: str, settings: ProviderSettings) -> Provider:
    return PROVIDER_TYPES[settings.type](name, settings)


__all__ = ["PROVIDER_TYPES", "Provider", "build_provider"]
