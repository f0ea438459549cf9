"""What one session carries from page to page, whichever feature it is on: the latent size and the user run chosen
per size (``models``), the uploads, drawings and the image chosen last (``images``), and the image pickers' widget
keys (``pickers``). The only code here that touches ``st.session_state``; each feature keeps its own state in its
own folder (``explorer.sliders.state``, ``explorer.lesson.state``, ``explorer.train.state``) and owns those keys.
``from explorer.shared import state; state.<name>(...)`` reaches everything below.
"""

from __future__ import annotations

from explorer.shared.state.images import (
    MAX_UPLOADS,
    ImageChoice,
    UploadedFileLike,
    add_drawing,
    add_upload,
    choose_image,
    chosen_image,
    clear_uploads,
    last_drawing,
    store_uploads,
    upload,
    upload_labels,
    uploads,
)
from explorer.shared.state.models import (
    LATENT_SIZE,
    SIDEBAR_LATENT_SIZE,
    latent_size,
    latent_size_widget,
    seed_user_run_widget,
    set_latent_size,
    set_user_run,
    user_run,
    user_run_widget_key,
    widget_value,
)
from explorer.shared.state.pickers import (
    RECONSTRUCT_SEED,
    PickerKeys,
    clamp_example,
    default_digit,
    map_selection,
    pad_entry,
    picker_started,
    remember_map_selection,
    seed_picker_test,
    seed_picker_upload,
    select_upload,
)

__all__ = [
    "LATENT_SIZE",
    "MAX_UPLOADS",
    "RECONSTRUCT_SEED",
    "SIDEBAR_LATENT_SIZE",
    "ImageChoice",
    "PickerKeys",
    "UploadedFileLike",
    "add_drawing",
    "add_upload",
    "choose_image",
    "chosen_image",
    "clamp_example",
    "clear_uploads",
    "default_digit",
    "last_drawing",
    "latent_size",
    "latent_size_widget",
    "map_selection",
    "pad_entry",
    "picker_started",
    "remember_map_selection",
    "seed_picker_test",
    "seed_picker_upload",
    "seed_user_run_widget",
    "select_upload",
    "set_latent_size",
    "set_user_run",
    "store_uploads",
    "upload",
    "upload_labels",
    "uploads",
    "user_run",
    "user_run_widget_key",
    "widget_value",
]
