"""Run the planning HTTP API under uvicorn (``patrolplan serve`` / ``python -m patrolplan.serve``).

The server refuses to listen on a non-loopback address without a bearer
token, unless ``insecure`` is set: a planning service holding staff names and
leave must not be open to a network by accident. The token comes from the
``PATROLPLAN_API_TOKEN`` environment variable or a token file (its first line).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import patrolplan as pp

__all__ = ["TOKEN_ENV", "default_history", "is_loopback", "main", "read_token", "serve"]

#: Environment variable holding the bearer token.
TOKEN_ENV = "PATROLPLAN_API_TOKEN"

logger = logging.getLogger("patrolplan.serve")


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def read_token(token_file: str | Path | None = None, *, environ: dict[str, str] | None = None) -> str | None:
    """The bearer token: the token file's first line if given, else ``$PATROLPLAN_API_TOKEN``.

    Raises
    ------
    InvalidInputError
        If the token file cannot be read or is empty, or the token is shorter
        than 16 characters.
    """
    env = os.environ if environ is None else environ
    token: str | None
    if token_file is not None:
        src = Path(token_file)
        try:
            lines = src.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            msg = f"cannot read the token file {str(src)!r}: {exc}"
            raise pp.InvalidInputError(msg, items=[str(src)]) from exc
        token = lines[0].strip() if lines else ""
        if not token:
            msg = f"the token file {str(src)!r} is empty"
            raise pp.InvalidInputError(msg, items=[str(src)])
    else:
        token = env.get(TOKEN_ENV, "").strip() or None
    if token is not None and len(token) < 16:
        msg = "the API token must be at least 16 characters (make one with secrets.token_urlsafe())"
        raise pp.InvalidInputError(msg, items=["token"])
    return token


def default_history() -> Path:
    """The history file the CLI uses: ``$PATROLPLAN_HISTORY``, else the user data folder's."""
    return pp.History.default_path()


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    history: str | Path | None = None,
    token: str | None = None,
    insecure: bool = False,
    *,
    upload_dir: str | Path | None = None,
    max_body_bytes: int | None = None,
    max_osm_bytes: int | None = None,
    default_time_limit: float | None = None,
    max_time_limit: float | None = None,
    max_concurrent_solves: int | None = None,
    max_queued_solves: int | None = None,
    log_level: str = "info",
) -> None:
    """Serve the API with uvicorn until interrupted.

    Parameters
    ----------
    host, port
        Where to listen.
    history
        The plan history database; default the CLI's (:func:`default_history`).
    token
        Bearer token; ``None`` means no auth (only allowed on loopback unless ``insecure``).
    insecure
        Allow a non-loopback address without a token.
    upload_dir
        Where uploaded districts are kept (default next to the history file).
    max_body_bytes, max_osm_bytes, default_time_limit, max_time_limit, max_concurrent_solves, max_queued_solves
        Limits; ``None`` keeps :class:`patrolplan.api.ApiSettings`'s defaults.
    log_level
        uvicorn's log level.

    Raises
    ------
    InvalidInputError
        On a non-loopback host without a token and without ``insecure``.
    """
    import uvicorn

    from patrolplan.api import ApiSettings, create_app

    if token is None and not insecure and not is_loopback(host):
        msg = (
            f"refusing to listen on {host} without a token: set {TOKEN_ENV} or give --token-file, "
            "or pass --insecure if the network is trusted"
        )
        raise pp.InvalidInputError(msg, items=[host])
    limits: dict[str, Any] = {
        "max_body_bytes": max_body_bytes,
        "max_osm_bytes": max_osm_bytes,
        "default_time_limit": default_time_limit,
        "max_time_limit": max_time_limit,
        "max_concurrent_solves": max_concurrent_solves,
        "max_queued_solves": max_queued_solves,
    }
    settings = ApiSettings(
        history=Path(history) if history is not None else default_history(),
        token=token,
        upload_dir=Path(upload_dir) if upload_dir is not None else None,
        **{k: v for k, v in limits.items() if v is not None},
    )
    app = create_app(settings)
    if token is None:
        logger.warning("serving without a token on %s: anyone who can reach it can plan and read plans", host)
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m patrolplan.serve``: the same options as ``patrolplan serve``."""
    parser = argparse.ArgumentParser(prog="python -m patrolplan.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--history", type=Path, default=None, help="plan history database (default: the CLI's)")
    parser.add_argument("--token-file", type=Path, default=None, help=f"bearer token file (default: ${TOKEN_ENV})")
    parser.add_argument("--insecure", action="store_true", help="allow a non-loopback host without a token")
    parser.add_argument("--upload-dir", type=Path, default=None, help="where uploaded districts are kept")
    parser.add_argument("--max-body-bytes", type=int, default=None, help="largest request body (413 past it)")
    parser.add_argument("--max-osm-bytes", type=int, default=None, help="largest street data after decompression")
    parser.add_argument("--time-limit", type=float, default=None, help="default solve seconds")
    parser.add_argument("--max-time-limit", type=float, default=None, help="most solve seconds a request may ask")
    parser.add_argument("--max-solves", type=int, default=None, help="solves running at once")
    parser.add_argument("--max-queued", type=int, default=None, help="solves waiting for a slot before 429")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        token = read_token(args.token_file)
        serve(
            args.host,
            args.port,
            args.history,
            token,
            args.insecure,
            upload_dir=args.upload_dir,
            max_body_bytes=args.max_body_bytes,
            max_osm_bytes=args.max_osm_bytes,
            default_time_limit=args.time_limit,
            max_time_limit=args.max_time_limit,
            max_concurrent_solves=args.max_solves,
            max_queued_solves=args.max_queued,
            log_level=args.log_level,
        )
    except pp.PatrolplanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
