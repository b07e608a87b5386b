//! The tray icon's states, drawn from the app's own icon (the one the window
//! and the package use, icons/): unlocked as it is; locked in grey and faded,
//! so the difference does not rest on colour alone; and, in either, an amber
//! dot in the lower right corner while keys are due for rotation.

/// What the icon shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub locked: bool,
    pub due: bool,
}

/// Amber, ringed in near-black so it reads on light and dark panels.
const DOT: [u8; 3] = [0xF5, 0x9E, 0x0B];
const RING: [u8; 3] = [0x1F, 0x29, 0x37];

/// The RGBA pixels of `base` (`width` × `height`) drawn as `look`.
pub fn draw(base: &[u8], width: u32, height: u32, look: Look) -> Vec<u8> {
    let mut pixels = base.to_vec();
    if look.locked {
        for pixel in pixels.chunks_exact_mut(4) {
            // Rec. 709 luma, lifted towards white and faded to 55%.
            let [r, g, b, a] = [pixel[0], pixel[1], pixel[2], pixel[3]].map(f32::from);
            let grey = (0.2126 * r + 0.7152 * g + 0.0722 * b) * 0.6 + 255.0 * 0.25;
            pixel[..3].fill(grey.round() as u8);
            pixel[3] = (a * 0.55).round() as u8;
        }
    }
    if look.due {
        dot(&mut pixels, width, height);
    }
    pixels
}

/// A filled circle of a third of the icon's size in the lower right corner,
/// its edge anti-aliased by coverage.
fn dot(pixels: &mut [u8], width: u32, height: u32) {
    let size = width.min(height) as f32;
    let radius = size / 6.0;
    let ring = (size / 16.0).max(1.0);
    let (cx, cy) = (width as f32 - radius - 0.5, height as f32 - radius - 0.5);
    for y in 0..height {
        for x in 0..width {
            let distance = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            let cover = (radius + 0.5 - distance).clamp(0.0, 1.0);
            if cover == 0.0 {
                continue;
            }
            let colour = if distance < radius - ring { DOT } else { RING };
            let at = ((y * width + x) * 4) as usize;
            let pixel = &mut pixels[at..at + 4];
            for (channel, value) in pixel[..3].iter_mut().zip(colour) {
                *channel = (f32::from(*channel) * (1.0 - cover) + f32::from(value) * cover).round() as u8;
            }
            pixel[3] = pixel[3].max((cover * 255.0).round() as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLUE: [u8; 4] = [0x25, 0x63, 0xEB, 0xFF];

    fn square(size: u32) -> Vec<u8> {
        BLUE.repeat((size * size) as usize)
    }

    fn pixel(pixels: &[u8], size: u32, x: u32, y: u32) -> [u8; 4] {
        let at = ((y * size + x) * 4) as usize;
        pixels[at..at + 4].try_into().unwrap()
    }

    #[test]
    fn unlocked_is_the_app_icon_itself() {
        let base = square(32);
        assert_eq!(draw(&base, 32, 32, Look { locked: false, due: false }), base);
    }

    #[test]
    fn locked_is_grey_and_faded_everywhere() {
        let locked = draw(&square(32), 32, 32, Look { locked: true, due: false });
        for pixel in locked.chunks_exact(4) {
            assert!(pixel[0] == pixel[1] && pixel[1] == pixel[2], "{pixel:?}");
            assert!(pixel[3] < 0xFF / 2 + 20, "{pixel:?}");
        }
    }

    #[test]
    fn due_adds_an_amber_dot_in_the_corner_only() {
        for locked in [false, true] {
            let plain = draw(&square(32), 32, 32, Look { locked, due: false });
            let due = draw(&square(32), 32, 32, Look { locked, due: true });
            assert_eq!(pixel(&due, 32, 26, 26)[..3], DOT, "locked: {locked}");
            assert_eq!(pixel(&due, 32, 4, 4), pixel(&plain, 32, 4, 4));
            assert_eq!(pixel(&due, 32, 16, 16), pixel(&plain, 32, 16, 16));
        }
    }
}
