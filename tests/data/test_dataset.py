import numpy as np
import torch
from torch.utils.data import DataLoader

from mcat.config import WindowsParams
from mcat.data.dataset import WindowDataset
from mcat.windows.stage import make_windows


def test_clips_are_gray_and_mask_from_the_store(tmp_path, tiny_store, tiny):
    store, masks = tiny_store
    windows = make_windows(WindowsParams(T=16, stride=8, crop="none", crop_margin=0.15), store, masks, tmp_path / "w").out
    ds = WindowDataset(windows, "train", store, masks)
    r = tiny.ingest.resolution
    assert len(ds) > 0 and ds.T == 16
    clip, label = ds[3]
    assert clip.dtype == torch.uint8 and clip.shape == (2, 16, r, r)
    rid, start = ds.recording_ids[ds.recording[3]], ds.starts[3]
    np.testing.assert_array_equal(clip[0].numpy(), np.load(store / rid / "frames.npy")[start:start + 16])
    np.testing.assert_array_equal(clip[1].numpy(), np.load(masks / f"{rid}.npy")[start:start + 16])
    assert label == np.load(store / rid / "labels.npy")[start + 8]
    assert set(torch.unique(clip[1]).tolist()) <= {0, 1}


def test_dataloader_with_workers_batches_every_window(tmp_path, tiny_store):
    store, masks = tiny_store
    windows = make_windows(WindowsParams(T=8, stride=4, crop="none", crop_margin=0.15), store, masks, tmp_path / "w").out
    ds = WindowDataset(windows, "val", store, masks)
    seen = 0
    for clips, labels in DataLoader(ds, batch_size=16, num_workers=2):
        assert clips.shape[1:3] == (2, 8) and clips.dtype == torch.uint8 and labels.dtype == torch.int64
        seen += len(labels)
    assert seen == len(ds)


def test_tempo_windows_are_exact_and_seeded(tiny_windows):
    from mcat.data.windowing import tempo_window

    assert tempo_window(centre=50, n_frames=100, T=4, factor=2).tolist() == [46, 48, 50, 52]
    assert tempo_window(centre=50, n_frames=100, T=4, factor=0.5).tolist() == [49, 50, 50, 51]  # round half up
    assert tempo_window(centre=2, n_frames=100, T=4, factor=3).tolist() == [0, 3, 6, 9]  # shifted inside
    assert tempo_window(centre=98, n_frames=100, T=4, factor=3).tolist() == [90, 93, 96, 99]
    plain = WindowDataset(*tiny_windows[:1], "train", *tiny_windows[1:])
    fast = WindowDataset(*tiny_windows[:1], "train", *tiny_windows[1:], tempo=(2.0, 2.0))
    i = len(fast) // 2
    clip, label = fast[i]
    s, T = int(fast.starts[i]), fast.T
    frames = np.asarray(fast.store.frames(fast.recording_ids[fast.recording[i]]))
    np.testing.assert_array_equal(clip[0].numpy(), frames[tempo_window(s + T // 2, len(frames), T, 2.0)])
    assert label == plain[i][1]  # centred on the same frame, so the same label
    ranged = WindowDataset(*tiny_windows[:1], "train", *tiny_windows[1:], tempo=(0.8, 3.0))
    ranged.set_epoch(0, 1)
    first = ranged[i][0]
    ranged.set_epoch(0, 2)
    assert not torch.equal(first, ranged[i][0]) or not torch.equal(first, ranged[i + 1][0])
    ranged.set_epoch(0, 1)
    assert torch.equal(first, ranged[i][0])
