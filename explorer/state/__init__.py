"""What one session carries from page to page: the chosen model pair, the chosen image, the uploads, the
slider codes and the Train page's view.

This package owns every session-state key: pages and helpers go through these functions instead of touching
``st.session_state`` themselves, so the keys and their bounds live in one place; that includes the widget
keys other code reads or seeds (the sidebar's latent size and run picker, the image pickers', the
latent-map charts' selections, the sliders). ``from explorer import state; state.<name>(...)`` reaches
everything; the submodules only split it by concern:

    models   the latent size, the sidebar's widgets, the user run chosen per size
    images   uploads (at most MAX_UPLOADS, prepared once), drawings, the chosen image
    pickers  the image pickers' widget keys and seeding, the latent-map selection
    sliders  slider values per checkpoint, the live code, shareable links, code files
    train    the run the Train page shows
    lesson   the guided lesson's step, the setting "Show me" applies, and the snapshot that leaving restores
"""

from __future__ import annotations

from explorer.state.images import (
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
from explorer.state.lesson import STEP_LIST as LESSON_STEP_LIST
from explorer.state.lesson import (
    apply_setup,
    drop_lesson_param,
    earlier_value,
    leave_lesson,
    lesson_param,
    lesson_step,
    pick_from_step_list,
    request_entry,
    set_lesson_step,
    set_pad_pin,
    show_step_list,
    take_entry,
)
from explorer.state.models import (
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
from explorer.state.own_images import forget_prepared_set, keep_choice, keep_options, keep_prepared_set, prepared_set
from explorer.state.pickers import (
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
from explorer.state.sliders import (
    SLIDERS_KIND,
    SliderLike,
    code_message,
    code_revision,
    current_code,
    linked_latent_size,
    load_code_file,
    mark_link_seen,
    new_link,
    read_sliders,
    restore_sliders,
    set_sliders,
    set_sliders_kind,
    slider_code,
    slider_key,
    store_live_code,
    write_link,
)
from explorer.state.train import (
    set_train_view,
    train_view,
)

__all__ = [
    "LATENT_SIZE",
    "LESSON_STEP_LIST",
    "MAX_UPLOADS",
    "RECONSTRUCT_SEED",
    "SIDEBAR_LATENT_SIZE",
    "SLIDERS_KIND",
    "ImageChoice",
    "PickerKeys",
    "SliderLike",
    "UploadedFileLike",
    "add_drawing",
    "add_upload",
    "apply_setup",
    "choose_image",
    "chosen_image",
    "clamp_example",
    "clear_uploads",
    "code_message",
    "code_revision",
    "current_code",
    "default_digit",
    "drop_lesson_param",
    "earlier_value",
    "forget_prepared_set",
    "keep_choice",
    "keep_options",
    "keep_prepared_set",
    "last_drawing",
    "latent_size",
    "latent_size_widget",
    "leave_lesson",
    "lesson_param",
    "lesson_step",
    "linked_latent_size",
    "load_code_file",
    "map_selection",
    "mark_link_seen",
    "new_link",
    "pad_entry",
    "pick_from_step_list",
    "picker_started",
    "prepared_set",
    "read_sliders",
    "remember_map_selection",
    "request_entry",
    "restore_sliders",
    "seed_picker_test",
    "seed_picker_upload",
    "seed_user_run_widget",
    "select_upload",
    "set_latent_size",
    "set_lesson_step",
    "set_pad_pin",
    "set_sliders",
    "set_sliders_kind",
    "set_train_view",
    "set_user_run",
    "show_step_list",
    "slider_code",
    "slider_key",
    "store_live_code",
    "store_uploads",
    "take_entry",
    "train_view",
    "upload",
    "upload_labels",
    "uploads",
    "user_run",
    "user_run_widget_key",
    "widget_value",
    "write_link",
]
