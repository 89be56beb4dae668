"""The config page's view of the config: every secret masked, the rest readable."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor.config import Config
from monitor.db import safe_url
from monitor.secrets import redact

# Config keys whose whole value is a secret (a dict keeps its keys: cookie and header
# names, never their values). Matched on the key's last word, so ``token``,
# ``access_token``, ``api_key``, ``client_secret`` and the source's whole-string
# ``cookie`` are all masked; ``token_env`` (a variable's name) and ``key_prefix`` are not.
# Every header value is masked, not just Cookie / Authorization / X-Api-Key: a custom
# header may carry a credential too.
SECRET_KEYS = re.compile(
    r"(?:^|[_-])(?:token|secret|password|passwd|pwd|cookies?|headers|authorization|auth|api[_-]?key|apikey"
    r"|access[_-]?key|private[_-]?key|credentials?|webhook_url|session)$",
    re.IGNORECASE,
)
# Query parameters whose value is a credential even when typed into the file directly.
SECRET_PARAMS = re.compile(r"(key|token|secret|password|passwd|pwd|sig|signature|auth|session)", re.IGNORECASE)
MASK = "******"


def mask_url(text: str) -> str:
    """A URL with its password and credential-like query values masked; other text unchanged."""
    if "://" not in text:
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        if sep:
            netloc = f"{user}:{MASK}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(SECRET_PARAMS.search(k) for k, _ in pairs):
            query = urlencode([(k, MASK if SECRET_PARAMS.search(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def masked_config(config: Config) -> dict[str, Any]:
    """The config as plain data with every secret replaced by ******.

    Three layers, because a secret can hide in any of them: values under a secret key
    name, passwords and credential parameters inside URLs, and any value that came
    from ``${ENV}`` wherever it sits in a longer string (``monitor.secrets.redact``)."""
    data = config.model_dump(mode="json", exclude={"base_dir", "path"})
    data["database"]["url"] = safe_url(data["database"]["url"])

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if isinstance(k, str) and SECRET_KEYS.search(k) and v:
                    out[k] = {kk: MASK for kk in v} if isinstance(v, dict) else MASK
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(x) for x in node]
        if isinstance(node, str):
            return mask_url(redact(node))
        return node

    return walk(data)
