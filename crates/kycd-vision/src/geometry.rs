//! Small geometry helpers: oriented quadrilaterals, bilinear sampling, perspective warps.

use image::RgbImage;

/// A quadrilateral with corners in reading order: top-left, top-right, bottom-right, bottom-left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quad(pub [(f32, f32); 4]);

fn dist(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

impl Quad {
    /// Builds an oriented text rectangle from 4 rectangle corners in cyclic order: the long side becomes
    /// the reading direction (pointing right, or down for vertical boxes).
    pub fn from_rect_points(p: [(f32, f32); 4]) -> Quad {
        let e0 = (p[1].0 - p[0].0, p[1].1 - p[0].1);
        let e1 = (p[2].0 - p[1].0, p[2].1 - p[1].1);
        let l0 = (e0.0 * e0.0 + e0.1 * e0.1).sqrt();
        let l1 = (e1.0 * e1.0 + e1.1 * e1.1).sqrt();
        let (mut u, long, short) = if l0 >= l1 { (e0, l0, l1) } else { (e1, l1, l0) };
        if long <= f32::EPSILON {
            return Quad([p[0]; 4]);
        }
        u = (u.0 / long, u.1 / long);
        if u.0 < -1e-3 || (u.0.abs() <= 1e-3 && u.1 < 0.0) {
            u = (-u.0, -u.1);
        }
        let c = (
            (p[0].0 + p[1].0 + p[2].0 + p[3].0) / 4.0,
            (p[0].1 + p[1].1 + p[2].1 + p[3].1) / 4.0,
        );
        Quad::oriented(c, u, long, short)
    }

    /// Rectangle with centre `c`, unit reading direction `u`, width `w` (along `u`) and height `h`.
    pub fn oriented(c: (f32, f32), u: (f32, f32), w: f32, h: f32) -> Quad {
        let v = (-u.1, u.0);
        let (hw, hh) = (w / 2.0, h / 2.0);
        let pt = |a: f32, b: f32| (c.0 + u.0 * a + v.0 * b, c.1 + u.1 * a + v.1 * b);
        Quad([pt(-hw, -hh), pt(hw, -hh), pt(hw, hh), pt(-hw, hh)])
    }

    /// Axis-aligned rectangle.
    pub fn axis_aligned(x0: f32, y0: f32, x1: f32, y1: f32) -> Quad {
        Quad([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    }

    /// Mean width (along the reading direction) and height.
    pub fn size(&self) -> (f32, f32) {
        let [tl, tr, br, bl] = self.0;
        (
            (dist(tl, tr) + dist(bl, br)) / 2.0,
            (dist(tl, bl) + dist(tr, br)) / 2.0,
        )
    }

    /// Centre point.
    pub fn center(&self) -> (f32, f32) {
        let s = self
            .0
            .iter()
            .fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
        (s.0 / 4.0, s.1 / 4.0)
    }

    /// Unit vector of the reading direction.
    pub fn direction(&self) -> (f32, f32) {
        let [tl, tr, br, bl] = self.0;
        let d = (
            (tr.0 - tl.0 + br.0 - bl.0) / 2.0,
            (tr.1 - tl.1 + br.1 - bl.1) / 2.0,
        );
        let l = (d.0 * d.0 + d.1 * d.1).sqrt();
        if l <= f32::EPSILON {
            (1.0, 0.0)
        } else {
            (d.0 / l, d.1 / l)
        }
    }

    /// Angle of the reading direction in degrees (0 = horizontal, positive = clockwise on screen).
    pub fn angle_deg(&self) -> f32 {
        let d = self.direction();
        d.1.atan2(d.0).to_degrees()
    }

    /// Grows an oriented rectangle by `d` on every side.
    pub fn grow(&self, d: f32) -> Quad {
        let (w, h) = self.size();
        Quad::oriented(self.center(), self.direction(), w + 2.0 * d, h + 2.0 * d)
    }

    /// Grows by separate amounts along (`dx`) and across (`dy`) the reading direction.
    pub fn grow_xy(&self, dx: f32, dy: f32) -> Quad {
        let (w, h) = self.size();
        Quad::oriented(self.center(), self.direction(), w + 2.0 * dx, h + 2.0 * dy)
    }

    /// Scales every coordinate.
    pub fn scale(&self, sx: f32, sy: f32) -> Quad {
        Quad(self.0.map(|(x, y)| (x * sx, y * sy)))
    }

    /// Axis-aligned bounds (x0, y0, x1, y1).
    pub fn bounds(&self) -> (f32, f32, f32, f32) {
        self.0.iter().fold(
            (f32::MAX, f32::MAX, f32::MIN, f32::MIN),
            |(a, b, c, d), &(x, y)| (a.min(x), b.min(y), c.max(x), d.max(y)),
        )
    }

    /// Point-in-convex-quadrilateral test.
    pub fn contains(&self, x: f32, y: f32) -> bool {
        let mut sign = 0i8;
        for i in 0..4 {
            let a = self.0[i];
            let b = self.0[(i + 1) % 4];
            let cross = (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0);
            let s = if cross > 0.0 {
                1
            } else if cross < 0.0 {
                -1
            } else {
                0
            };
            if s != 0 {
                if sign == 0 {
                    sign = s;
                } else if s != sign {
                    return false;
                }
            }
        }
        true
    }

    /// Area (shoelace).
    pub fn area(&self) -> f32 {
        let mut s = 0.0;
        for i in 0..4 {
            let a = self.0[i];
            let b = self.0[(i + 1) % 4];
            s += a.0 * b.1 - b.0 * a.1;
        }
        s.abs() / 2.0
    }

    /// Orders 4 arbitrary corner points as top-left, top-right, bottom-right, bottom-left (by angle
    /// around the centroid, starting from the corner with the smallest x + y).
    pub fn from_unordered(p: [(f32, f32); 4]) -> Quad {
        let c = (
            (p[0].0 + p[1].0 + p[2].0 + p[3].0) / 4.0,
            (p[0].1 + p[1].1 + p[2].1 + p[3].1) / 4.0,
        );
        let mut pts = p;
        pts.sort_by(|a, b| {
            let aa = (a.1 - c.1).atan2(a.0 - c.0);
            let bb = (b.1 - c.1).atan2(b.0 - c.0);
            aa.total_cmp(&bb)
        });
        // Sorted clockwise on screen (y down) starting near -180°, i.e. from the left.
        let start = (0..4)
            .min_by(|&i, &j| (pts[i].0 + pts[i].1).total_cmp(&(pts[j].0 + pts[j].1)))
            .unwrap_or(0);
        Quad([
            pts[start],
            pts[(start + 1) % 4],
            pts[(start + 2) % 4],
            pts[(start + 3) % 4],
        ])
    }
}

/// Bilinear RGB sample with edge clamping.
pub fn bilinear_rgb(img: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = img.dimensions();
    let x = (x - 0.5).clamp(0.0, (w - 1) as f32);
    let y = (y - 0.5).clamp(0.0, (h - 1) as f32);
    let x0 = x.floor() as u32;
    let y0 = y.floor() as u32;
    let x1 = (x0 + 1).min(w - 1);
    let y1 = (y0 + 1).min(h - 1);
    let fx = x - x0 as f32;
    let fy = y - y0 as f32;
    let p00 = img.get_pixel(x0, y0).0;
    let p10 = img.get_pixel(x1, y0).0;
    let p01 = img.get_pixel(x0, y1).0;
    let p11 = img.get_pixel(x1, y1).0;
    let mut out = [0f32; 3];
    for c in 0..3 {
        let top = p00[c] as f32 * (1.0 - fx) + p10[c] as f32 * fx;
        let bot = p01[c] as f32 * (1.0 - fx) + p11[c] as f32 * fx;
        out[c] = top * (1.0 - fy) + bot * fy;
    }
    out
}

/// Warps the region `q` of `img` into an upright `w`×`h` image (perspective, bilinear).
pub fn warp_quad(img: &RgbImage, q: &Quad, w: u32, h: u32) -> Option<RgbImage> {
    use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};
    let to = [
        (0.0, 0.0),
        (w as f32, 0.0),
        (w as f32, h as f32),
        (0.0, h as f32),
    ];
    let proj = Projection::from_control_points(q.0, to)?;
    let mut out = RgbImage::new(w.max(1), h.max(1));
    warp_into(
        img,
        proj,
        Interpolation::Bilinear,
        Border::Replicate,
        &mut out,
    );
    Some(out)
}

/// Crops an axis-aligned region (clamped to the image).
pub fn crop(img: &RgbImage, x0: f32, y0: f32, x1: f32, y1: f32) -> Option<RgbImage> {
    let (w, h) = img.dimensions();
    let x0 = x0.max(0.0).floor() as u32;
    let y0 = y0.max(0.0).floor() as u32;
    let x1 = (x1.ceil().max(0.0) as u32).min(w);
    let y1 = (y1.ceil().max(0.0) as u32).min(h);
    if x1 <= x0 + 1 || y1 <= y0 + 1 {
        return None;
    }
    Some(image::imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oriented_rect_from_points() {
        // A 100x20 rectangle rotated by 30 degrees, corners given starting anywhere.
        let q = Quad::oriented(
            (50.0, 50.0),
            (30f32.to_radians().cos(), 30f32.to_radians().sin()),
            100.0,
            20.0,
        );
        for start in 0..4 {
            let p = [
                q.0[start],
                q.0[(start + 1) % 4],
                q.0[(start + 2) % 4],
                q.0[(start + 3) % 4],
            ];
            let r = Quad::from_rect_points(p);
            let (w, h) = r.size();
            assert!((w - 100.0).abs() < 1e-3 && (h - 20.0).abs() < 1e-3);
            assert!((r.angle_deg() - 30.0).abs() < 1e-3);
            assert!(r.contains(50.0, 50.0));
            assert!(!r.contains(0.0, 100.0));
        }
    }

    #[test]
    fn unordered_corners() {
        let q = Quad::from_unordered([(100.0, 90.0), (10.0, 5.0), (5.0, 80.0), (110.0, 10.0)]);
        assert_eq!(
            q.0,
            [(10.0, 5.0), (110.0, 10.0), (100.0, 90.0), (5.0, 80.0)]
        );
        assert!((q.area() - 8000.0).abs() < 600.0);
    }

    #[test]
    fn bilinear_is_exact_at_centres() {
        let img = RgbImage::from_fn(4, 4, |x, y| image::Rgb([(x * 10) as u8, (y * 10) as u8, 0]));
        assert_eq!(bilinear_rgb(&img, 2.5, 1.5), [20.0, 10.0, 0.0]);
        assert_eq!(bilinear_rgb(&img, -50.0, 100.0), [0.0, 30.0, 0.0]);
    }
}
