//! Location of the model files installed by `scripts/setup.sh` (see `scripts/models/face.sh`).

use std::path::{Path, PathBuf};

use crate::FaceError;

/// dlib ResNet face-recognition model (CC0, from PyPI `face_recognition_models==0.3.0`).
pub const ENCODER_FILE: &str = "dlib_face_recognition_resnet_model_v1.dat";
/// dlib 5-point landmark model (CC0, same source). The 68-point model is deliberately not used.
pub const LANDMARKS_FILE: &str = "shape_predictor_5_face_landmarks.dat";

/// Paths of the two model files.
#[derive(Clone, Debug)]
pub struct ModelPaths {
    pub encoder: PathBuf,
    pub landmarks: PathBuf,
}

impl ModelPaths {
    /// Model files inside `dir`; fails with a message naming `scripts/setup.sh` when one is missing.
    pub fn in_dir(dir: impl AsRef<Path>) -> Result<Self, FaceError> {
        let dir = dir.as_ref();
        let paths = Self {
            encoder: dir.join(ENCODER_FILE),
            landmarks: dir.join(LANDMARKS_FILE),
        };
        for p in [&paths.encoder, &paths.landmarks] {
            if !p.is_file() {
                return Err(FaceError::ModelMissing(p.clone()));
            }
        }
        Ok(paths)
    }

    /// `$KYCD_MODELS_DIR` if set, else `./models` (the default of `scripts/setup.sh`).
    pub fn from_env() -> Result<Self, FaceError> {
        let dir = std::env::var_os("KYCD_MODELS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("models"));
        Self::in_dir(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_models_name_setup_script() {
        let err = ModelPaths::in_dir("/nonexistent-kycd-models").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("scripts/setup.sh"), "{msg}");
        assert!(msg.contains(ENCODER_FILE), "{msg}");
    }
}
