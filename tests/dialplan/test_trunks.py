"""Issue 6: the trunks are the product's, rendered from its config into pjsip_continuity.conf."""

from __future__ import annotations

import re
from pathlib import Path

from continuity import names
from continuity.agi.ami import AmiSession
from continuity.compose import make_dialplan_sync
from continuity.compose_parts import ami_credentials
from continuity.core.model import Snapshot
from localstack import LocalStack
from localstack.product import product_config


async def test_a_changed_trunk_setting_is_written_reloaded_and_verified(
    own_stack: LocalStack, own_db: str, tmp_path: Path
) -> None:
    config = product_config(own_stack, own_db, tmp_path, trunk_qualify_timeout=0.9)
    ami = AmiSession(ami_credentials(config))
    sync = make_dialplan_sync(config, ami)
    pjsip = sync.files[1].path
    before = pjsip.read_text()  # what the stack started with: the product's own rendering

    try:
        assert await sync.apply(Snapshot())
        assert "qualify_timeout = 0.9" in pjsip.read_text()
        aor = await own_stack.pbx.cli(f"pjsip show aor {names.ENDPOINT_PRIMARY}")
        assert re.search(r"qualify_timeout\s*:\s*0\.9", aor), aor
        assert own_stack.primary_contact in aor
    finally:
        ami.close()
        pjsip.write_text(before)
        await own_stack.pbx.reload_module("res_pjsip.so")


async def test_the_stack_starts_with_the_trunks_the_product_would_render(
    own_stack: LocalStack, own_db: str, tmp_path: Path
) -> None:
    config = product_config(own_stack, own_db, tmp_path)
    sync = make_dialplan_sync(config, AmiSession(ami_credentials(config)))  # never connects
    pending = [change.file.path.name for change in sync.pending(Snapshot())]
    assert names.GENERATED_PJSIP not in pending
    own = (own_stack.pbx.etc_dir / "pjsip.conf").read_text()
    assert f"[{names.ENDPOINT_PRIMARY}]" not in own  # only the product's file defines them
