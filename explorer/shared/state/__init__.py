"""What one session carries from page to page, whichever feature it is on: the latent size and the user run chosen
per size (``models``), the uploads, drawings and the image chosen last (``images``), and the image pickers' widget
keys (``pickers``). The only code here that touches ``st.session_state``; each feature keeps its own state in its
own folder (``explorer.sliders.state``, ``explorer.lesson.state``, ``explorer.train.state``) and owns those keys.
``from explorer.shared import state; state.<name>(...)`` reaches everything below.
"""

from __future__ import annotations

from explorer.shared.state.images import (
    CHOSEN_IMAGE,
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
    latent_size_settings,
    latent_size_widget,
    seed_user_run_widget,
    set_latent_size,
    set_user_run,
    user_run,
    user_run_widget_key,
    widget_value,
)
from explorer.shared.state.pickers import (
    SOURCE_LABELS,
    TEST,
    UPLOAD,
    PickerKeys,
    clamp_example,
    default_digit,
    keep_choice,
    keep_options,
    picker_started,
    seed_picker_test,
    seed_picker_upload,
    select_upload,
)

__all__ = [
    "CHOSEN_IMAGE",
    "LATENT_SIZE",
    "MAX_UPLOADS",
    "SIDEBAR_LATENT_SIZE",
    "SOURCE_LABELS",
    "TEST",
    "UPLOAD",
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
    "keep_choice",
    "keep_options",
    "last_drawing",
    "latent_size",
    "latent_size_settings",
    "latent_size_widget",
    "picker_started",
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
