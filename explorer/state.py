"""What one session carries from page to page: the chosen model pair, the chosen image and the uploads.

Every page goes through these functions instead of touching ``st.session_state`` keys itself, so the keys
and their bounds live in one place; that includes the widget keys other code reads or seeds (the sidebar's
latent size, the image pickers', the latent-map charts' selections).

Uploads are prepared once (``vae.images.prepare_image``) and kept as small 28x28 arrays; at most
MAX_UPLOADS per session, the oldest dropped first, so a long session cannot grow without limit.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import streamlit as st

from explorer import share
from vae.images import ImageError, PreparedImage, prepare_image

MAX_UPLOADS = 8
_MAX_SEEN = 64  # uploader file ids already handled (prepared or refused)

LATENT_SIZE = "explorer.latent_size"
_UPLOADS = "explorer.uploads"  # OrderedDict[upload id, PreparedImage]
_SEEN = "explorer.seen_files"  # OrderedDict[uploader file id, upload id or the refusal message]
_CHOSEN = "explorer.chosen_image"
_CODES = "explorer.codes"  # dict[checkpoint name, slider values]
_MAP_SELECTED = "explorer.map_selected"  # (kind, chart key) of the latent-map chart selected most recently
_LAST_DRAWING = "explorer.last_drawing"  # upload id of the drawing last kept from the Draw page
_REVISIONS = "explorer.code_revisions"  # dict[checkpoint name, int]: bumped whenever Python moves the sliders
_LINK_SEEN = "explorer.link_seen"  # the share parameters last applied from, or written to, the URL
_CODE_MESSAGE = "explorer.code_message"  # why the last uploaded code file was refused

# Widget keys that code outside the widget itself reads or seeds.
SIDEBAR_LATENT_SIZE = "sidebar.latent_size"
RECONSTRUCT_SEED = "rec.seed"
SLIDERS_KIND = "sliders.kind"  # the sliders page's AE/VAE radio


class UploadedFileLike(Protocol):
    """What we use of Streamlit's UploadedFile (tests may pass anything with these)."""

    file_id: str
    name: str

    def getvalue(self) -> bytes: ...


class SliderLike(Protocol):
    """What the slider helpers need of explorer.core.SliderSpec."""

    dim: int

    def clip(self, value: float) -> float: ...


@dataclass(frozen=True)
class ImageChoice:
    """An image some page picked: a test-set index or the id of an upload."""

    source: Literal["test", "upload"]
    key: int | str


# --------------------------------------------------------------------------------------------------------
# Model pair


def latent_size(available: Sequence[int]) -> int | None:
    """The chosen latent size if still available, else the largest one (16 shows the most), else None."""
    chosen = st.session_state.get(LATENT_SIZE)
    if chosen in available:
        return chosen
    return max(available) if available else None


def set_latent_size(size: int) -> None:
    st.session_state[LATENT_SIZE] = int(size)


def latent_size_widget(available: Sequence[int]) -> str:
    """The sidebar selector's key, its value first set to the chosen size when it has none or a stale one."""
    linked = linked_latent_size(available)  # a shared link (the sliders page's URL) names one
    if linked is not None or st.session_state.get(SIDEBAR_LATENT_SIZE) not in available:  # or first run, or stale
        st.session_state[SIDEBAR_LATENT_SIZE] = linked or latent_size(available)
    return SIDEBAR_LATENT_SIZE


def widget_value(key: str, default: object = None) -> object:
    """A widget's value from this or an earlier run, e.g. one that sits in a branch not drawn this time."""
    return st.session_state.get(key, default)


# --------------------------------------------------------------------------------------------------------
# Uploads


def _ordered(key: str) -> OrderedDict:
    if key not in st.session_state:
        st.session_state[key] = OrderedDict()
    return st.session_state[key]


def uploads() -> OrderedDict[str, PreparedImage]:
    """This session's prepared uploads by id, oldest first."""
    return _ordered(_UPLOADS)


def upload(upload_id: str) -> PreparedImage | None:
    return uploads().get(upload_id)


def add_upload(prepared: PreparedImage, data: bytes) -> str:
    """Keep a prepared upload (dropping the oldest beyond MAX_UPLOADS); returns its id."""
    upload_id = hashlib.sha1(data, usedforsecurity=False).hexdigest()[:12]
    store = uploads()
    store[upload_id] = prepared
    store.move_to_end(upload_id)
    while len(store) > MAX_UPLOADS:
        store.popitem(last=False)
    return upload_id


def store_uploads(files: Iterable[UploadedFileLike] | None) -> tuple[list[str], list[str]]:
    """Prepare the uploader's files and keep them: (ids of the usable ones, one message per refused file).

    Each uploader file is handled once; later reruns reuse the result, so an upload costs nothing after
    the run in which it arrived. A file whose upload was dropped to make room stays dropped while it sits
    in the uploader: bringing it back would drop another one, and with more than MAX_UPLOADS files every
    rerun would prepare them all again.
    """
    seen = _ordered(_SEEN)
    ids: list[str] = []
    errors: list[str] = []
    for file in list(files or [])[-_MAX_SEEN:]:  # older ones could not be kept anyway, nor remembered as seen
        outcome = seen.get(file.file_id)
        if outcome is None:
            data = file.getvalue()
            try:
                outcome = add_upload(prepare_image(data, file.name), data)
            except ImageError as error:
                outcome = "!" + str(error)
            seen[file.file_id] = outcome
            while len(seen) > _MAX_SEEN:
                seen.popitem(last=False)
        if outcome.startswith("!"):
            errors.append(outcome[1:])
        elif outcome in uploads():
            ids.append(outcome)
    return ids, errors


def add_drawing(prepared: PreparedImage) -> str:
    """Keep a drawing from the Draw page among the uploads, so every page that offers uploads offers it."""
    upload_id = add_upload(prepared, b"drawing:" + np.ascontiguousarray(prepared.image).tobytes())
    st.session_state[_LAST_DRAWING] = upload_id
    return upload_id


def last_drawing() -> str | None:
    """The id of the drawing kept last, while it is still among the uploads."""
    upload_id = st.session_state.get(_LAST_DRAWING)
    return upload_id if upload_id in uploads() else None


def clear_uploads() -> None:
    uploads().clear()
    _ordered(_SEEN).clear()


def upload_labels() -> dict[str, str]:
    """Upload id -> a readable label (the file name, numbered when two uploads share one)."""
    labels: dict[str, str] = {}
    counts: dict[str, int] = {}
    for upload_id, prepared in uploads().items():
        counts[prepared.name] = counts.get(prepared.name, 0) + 1
        suffix = f" ({counts[prepared.name]})" if counts[prepared.name] > 1 else ""
        labels[upload_id] = f"{prepared.name}{suffix}"
    return labels


# --------------------------------------------------------------------------------------------------------
# Chosen image and slider codes


def chosen_image() -> ImageChoice | None:
    choice = st.session_state.get(_CHOSEN)
    if choice is not None and choice.source == "upload" and choice.key not in uploads():
        return None  # the upload was dropped to make room for newer ones
    return choice


def choose_image(choice: ImageChoice) -> None:
    st.session_state[_CHOSEN] = choice


def slider_key(name: str, dim: int) -> str:
    """The widget key of checkpoint ``name``'s slider for latent dimension ``dim``."""
    return f"slider.{name}.{dim}"


def slider_code(name: str) -> np.ndarray | None:
    """The slider values last shown for checkpoint ``name``, so they survive a trip to another page."""
    return st.session_state.get(_CODES, {}).get(name)


def set_sliders(name: str, specs: Sequence[SliderLike], code: np.ndarray) -> None:
    """Move every slider of checkpoint ``name`` to ``code`` (clipped into range); for on_click callbacks."""
    for spec in specs:
        st.session_state[slider_key(name, spec.dim)] = spec.clip(float(code[spec.dim]))
    st.session_state.setdefault(_CODES, {})[name] = np.array(
        [spec.clip(float(code[spec.dim])) for spec in sorted(specs, key=lambda s: s.dim)], dtype=np.float32
    )
    revisions = st.session_state.setdefault(_REVISIONS, {})
    revisions[name] = revisions.get(name, 0) + 1


def restore_sliders(name: str, specs: Sequence[SliderLike]) -> None:
    """Give every slider a value before it is drawn: the last code shown, else zeros.

    Streamlit drops a widget's state when its page is left; the code kept under _CODES brings it back.
    """
    stored = slider_code(name)
    if stored is None or len(stored) != len(specs):
        stored = np.zeros(len(specs), dtype=np.float32)
    for spec in specs:
        if slider_key(name, spec.dim) not in st.session_state:
            st.session_state[slider_key(name, spec.dim)] = spec.clip(float(stored[spec.dim]))


def read_sliders(name: str, latent_dim: int) -> np.ndarray:
    """The code the sliders show now (and remember it for the next visit)."""
    code = np.array([st.session_state[slider_key(name, d)] for d in range(latent_dim)], dtype=np.float32)
    st.session_state.setdefault(_CODES, {})[name] = code
    return code


# --------------------------------------------------------------------------------------------------------
# Image pickers (explorer.ui.image_picker): a source radio, an upload selectbox, a digit and an example


@dataclass(frozen=True)
class PickerKeys:
    """The widget keys of the image picker called ``prefix``."""

    prefix: str

    @property
    def source(self) -> str:
        return f"{self.prefix}.source"

    @property
    def uploader(self) -> str:
        return f"{self.prefix}.uploader"

    @property
    def upload(self) -> str:
        return f"{self.prefix}.upload"

    @property
    def newest(self) -> str:  # not a widget: the upload that last arrived through this picker's uploader
        return f"{self.prefix}.newest"

    @property
    def digit(self) -> str:
        return f"{self.prefix}.digit"

    @property
    def nth(self) -> str:
        return f"{self.prefix}.nth"


def picker_started(keys: PickerKeys) -> bool:
    """Whether the picker's widgets already have state (so seeding it would overwrite the user's choice)."""
    return keys.source in st.session_state


def seed_picker_upload(keys: PickerKeys, upload_id: str) -> None:
    st.session_state[keys.source] = "Upload"
    st.session_state[keys.upload] = upload_id


def seed_picker_test(keys: PickerKeys, digit: int, nth: int) -> None:
    st.session_state[keys.source] = "Test image"
    st.session_state[keys.digit] = int(digit)
    st.session_state[keys.nth] = int(nth)


def select_upload(keys: PickerKeys, new_ids: Sequence[str], available: Iterable[str]) -> None:
    """Before the upload selectbox is drawn: a fresh upload becomes the selection, a vanished one the newest."""
    available = list(available)
    if new_ids and st.session_state.get(keys.newest) != new_ids[-1]:
        st.session_state[keys.upload] = st.session_state[keys.newest] = new_ids[-1]
    if available and st.session_state.get(keys.upload) not in available:
        st.session_state[keys.upload] = available[-1]


def default_digit(keys: PickerKeys, digit: int) -> None:
    st.session_state.setdefault(keys.digit, digit)


def clamp_example(keys: PickerKeys, count: int) -> None:
    """Before the example input is drawn: back to 0 when the newly chosen digit has fewer examples."""
    if not 0 <= st.session_state.get(keys.nth, 0) < count:
        st.session_state[keys.nth] = 0
    st.session_state.setdefault(keys.nth, 0)


# --------------------------------------------------------------------------------------------------------
# Latent-map selection


def remember_map_selection(kind: str, chart_key: str) -> None:
    """on_select callback: note which chart the user selected in last, so its selection wins."""
    st.session_state[_MAP_SELECTED] = (kind, chart_key)


def map_selection() -> tuple[str | None, str | None]:
    """(kind, chart key) of the latent-map chart selected in most recently, or (None, None)."""
    return st.session_state.get(_MAP_SELECTED, (None, None))


def chart_points(chart_key: str) -> list[dict]:
    """The points currently selected in the plotly chart drawn with widget key ``chart_key``."""
    return st.session_state.get(chart_key, {}).get("selection", {}).get("points", [])


# Live sliders (explorer/live.py) and shareable links (explorer/share.py)


def code_revision(name: str) -> int:
    """How often Python moved checkpoint ``name``'s sliders; the live component follows only a new one."""
    return st.session_state.get(_REVISIONS, {}).get(name, 0)


def current_code(name: str, specs: Sequence[SliderLike]) -> np.ndarray:
    """The code to show for checkpoint ``name``: the last one stored, else zeros (clipped into range)."""
    stored = slider_code(name)
    if stored is None or len(stored) != len(specs):
        stored = np.zeros(len(specs), dtype=np.float32)
    return np.array([spec.clip(float(stored[spec.dim])) for spec in sorted(specs, key=lambda s: s.dim)], np.float32)


def store_live_code(name: str, specs: Sequence[SliderLike], component_key: str) -> None:
    """on_code_change callback of the live sliders: keep the code the browser sent (checked, clipped).

    Stored without a new revision, so the component is not told to move sliders the hand already moved.
    """
    value = st.session_state.get(component_key) or {}
    sent = value.get("code") if hasattr(value, "get") else None
    z = sent.get("z") if isinstance(sent, dict) else None
    try:
        code = share.check_code(z if isinstance(z, list) else [], len(specs), "the browser's code")
    except share.ShareError:
        return  # not from our component; keep the last good code
    code = np.array([spec.clip(float(code[spec.dim])) for spec in sorted(specs, key=lambda s: s.dim)], np.float32)
    for spec in specs:
        st.session_state[slider_key(name, spec.dim)] = float(code[spec.dim])
    st.session_state.setdefault(_CODES, {})[name] = code


def set_sliders_kind(kind: str) -> None:
    st.session_state[SLIDERS_KIND] = kind


def _link_params() -> dict[str, str]:
    return {
        k: st.query_params[k] for k in (share.SIZE_PARAM, share.KIND_PARAM, share.CODE_PARAM) if k in st.query_params
    }


def new_link() -> dict[str, str] | None:
    """The URL's share parameters if they are new to this session (a pasted link), else None."""
    params = _link_params()
    if not params or params == st.session_state.get(_LINK_SEEN):
        return None
    return params


def mark_link_seen(params: dict[str, str]) -> None:
    st.session_state[_LINK_SEEN] = dict(params)


def linked_latent_size(sizes: Sequence[int]) -> int | None:
    """The latent size a newly opened link asks for (None without a new link or with a bad size)."""
    params = new_link()
    try:
        return share.parse_size(params.get(share.SIZE_PARAM), sizes) if params else None
    except share.ShareError:
        return None


def write_link(params: dict[str, str]) -> None:
    """Put the shown view in the URL (only when it changed), so a copied link reopens it."""
    if _link_params() != params:
        st.query_params.update(params)
    mark_link_seen(params)


def load_code_file(uploader_key: str, name: str, specs: Sequence[SliderLike]) -> None:
    """on_change callback of the code-file uploader: move the sliders to the file's code, or keep why not."""
    file = st.session_state.get(uploader_key)
    st.session_state.pop(_CODE_MESSAGE, None)
    if file is None:
        return
    try:
        code = share.parse_code_json(file.getvalue(), len(specs))
    except share.ShareError as error:
        st.session_state[_CODE_MESSAGE] = f"The code file was not used: {error}."
        return
    set_sliders(name, specs, code)


def code_message() -> str | None:
    return st.session_state.get(_CODE_MESSAGE)


# --------------------------------------------------------------------------------------------------------
# User runs (Train page)

_USER_RUN = "explorer.user_run"  # dict[latent size, run name or None for the shipped pair]
_TRAIN_VIEW = "train.view"  # the run the Train page shows when none is in progress


def user_run_widget_key(size: int) -> str:
    """The sidebar selectbox's key for one latent size."""
    return f"sidebar.user_run.{size}"


def user_run(size: int, available: Sequence[str]) -> str | None:
    """The user run chosen for this latent size, if it is still available (else the shipped pair: None)."""
    name = st.session_state.get(_USER_RUN, {}).get(size)
    return name if name in available else None


def set_user_run(size: int, name: str | None) -> None:
    st.session_state.setdefault(_USER_RUN, {})[int(size)] = name


def seed_user_run_widget(size: int, available: Sequence[str]) -> None:
    """Start the sidebar's run picker at the session's choice (widget state is dropped between pages)."""
    key = user_run_widget_key(size)
    if st.session_state.get(key) not in ["", *available]:
        st.session_state[key] = user_run(size, available) or ""


def train_view(available: Sequence[str]) -> str | None:
    name = st.session_state.get(_TRAIN_VIEW)
    return name if name in available else None


def set_train_view(name: str | None) -> None:
    st.session_state[_TRAIN_VIEW] = name
