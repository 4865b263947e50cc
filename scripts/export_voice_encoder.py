"""Convert Resemblyzer's speaker encoder to ONNX (src/attunement/transcribe/models/).

Run once, in a throw-away environment with PyTorch (attunement itself never needs it):

    python -m venv /tmp/venc && /tmp/venc/bin/pip install torch==2.13.0 onnx numpy
    /tmp/venc/bin/pip download --no-deps Resemblyzer==0.1.4 -d /tmp/venc/wheel
    unzip -o /tmp/venc/wheel/Resemblyzer-0.1.4-py3-none-any.whl 'resemblyzer/*' -d /tmp/venc
    /tmp/venc/bin/python scripts/export_voice_encoder.py /tmp/venc/resemblyzer/pretrained.pt

The network is Resemblyzer's VoiceEncoder (its voice_encoder.py), written out here so that the
package need not be imported (it imports librosa and webrtcvad).
"""

import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

OUT = Path(__file__).resolve().parents[1] / "src/attunement/transcribe/models/voice_encoder.onnx"


class VoiceEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(40, 256, 3, batch_first=True)
        self.linear = nn.Linear(256, 256)
        self.relu = nn.ReLU()

    def forward(self, mels):
        _, (hidden, _) = self.lstm(mels)
        raw = self.relu(self.linear(hidden[-1]))
        return raw / torch.norm(raw, dim=1, keepdim=True).clamp_min(1e-12)


def main(weights: str) -> None:
    model = VoiceEncoder()
    state = torch.load(weights, map_location="cpu")["model_state"]
    unexpected = model.load_state_dict(state, strict=False).unexpected_keys
    assert set(unexpected) <= {"similarity_weight", "similarity_bias"}, unexpected
    model.eval()
    x = torch.rand(3, 160, 40)
    torch.onnx.export(
        model,
        (x,),
        OUT,
        input_names=["mels"],
        output_names=["embedding"],
        dynamic_axes={"mels": {0: "batch", 1: "frames"}, "embedding": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    import onnxruntime as ort

    got = ort.InferenceSession(str(OUT)).run(None, {"mels": x.numpy()})[0]
    print("max difference from PyTorch:", float(np.abs(got - model(x).detach().numpy()).max()))


if __name__ == "__main__":
    main(sys.argv[1])
