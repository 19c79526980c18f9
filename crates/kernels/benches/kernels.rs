//! Micro benchmarks of the hottest kernels, printed as GFLOP/s.
//!
//! Run with `cargo bench -p savedmodel-kernels`; nothing here runs in tests.

use std::time::{Duration, Instant};

use savedmodel_kernels::conv::{
    conv2d_nhwc_f32, conv2d_transpose_nhwc_f32, depthwise_conv2d_nhwc_f32, Conv2dGeometry, Padding,
};
use savedmodel_kernels::gemm::matmul_f32;

/// Runs `f` repeatedly for about half a second and returns the best time.
fn best_time(mut f: impl FnMut()) -> Duration {
    f();
    let start = Instant::now();
    let mut best = Duration::MAX;
    while start.elapsed() < Duration::from_millis(500) {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
    }
    best
}

fn report(name: &str, flops: f64, time: Duration) {
    println!(
        "{name:<40} {:>9.3} ms  {:>7.1} GFLOP/s",
        time.as_secs_f64() * 1e3,
        flops / time.as_secs_f64() / 1e9
    );
}

fn data(len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
        .collect()
}

fn main() {
    println!("rayon threads: {}", rayon::current_num_threads());
    let n = 512;
    let (a, b) = (data(n * n), data(n * n));
    let mut c = vec![0f32; n * n];
    let t = best_time(|| matmul_f32(n, n, n, &a, false, &b, false, &mut c).unwrap());
    report("matmul 512x512x512", 2.0 * (n * n * n) as f64, t);

    let g = Conv2dGeometry::new(
        [1, 56, 56, 64],
        [3, 3, 64, 64],
        [1, 1],
        [1, 1],
        Padding::Same,
    )
    .unwrap();
    let input = data(56 * 56 * 64);
    let filter = data(3 * 3 * 64 * 64);
    let mut out = vec![0f32; 56 * 56 * 64];
    let flops = 2.0 * (56 * 56 * 64 * 3 * 3 * 64) as f64;
    let t = best_time(|| conv2d_nhwc_f32(&g, &input, &filter, &mut out).unwrap());
    report("conv2d 3x3 64->64 56x56 SAME", flops, t);

    let mut back = vec![0f32; 56 * 56 * 64];
    let t = best_time(|| conv2d_transpose_nhwc_f32(&g, &out, &filter, &mut back).unwrap());
    report("conv2d_transpose 3x3 64->64 56x56", flops, t);

    let g = Conv2dGeometry::new(
        [1, 56, 56, 64],
        [1, 1, 64, 256],
        [1, 1],
        [1, 1],
        Padding::Valid,
    )
    .unwrap();
    let filter = data(64 * 256);
    let mut out = vec![0f32; 56 * 56 * 256];
    let t = best_time(|| conv2d_nhwc_f32(&g, &input, &filter, &mut out).unwrap());
    report(
        "conv2d 1x1 64->256 56x56",
        2.0 * (56 * 56 * 64 * 256) as f64,
        t,
    );

    let g = Conv2dGeometry::depthwise(
        [1, 112, 112, 32],
        [3, 3, 32, 1],
        [1, 1],
        [1, 1],
        Padding::Same,
    )
    .unwrap();
    let input = data(112 * 112 * 32);
    let filter = data(3 * 3 * 32);
    let mut out = vec![0f32; 112 * 112 * 32];
    let t = best_time(|| depthwise_conv2d_nhwc_f32(&g, 1, &input, &filter, &mut out).unwrap());
    report(
        "depthwise 3x3 32ch 112x112",
        2.0 * (112 * 112 * 32 * 9) as f64,
        t,
    );

    resnet50_layers();
}

/// Every distinct convolution of Keras' ResNet50 at 224×224, batch 1, with
/// how often it occurs; the weighted total is the model's convolution time
/// (`input HxW, kernel, stride, in->out`).
fn resnet50_layers() {
    #[rustfmt::skip]
    let layers: &[(usize, usize, usize, usize, usize, usize)] = &[
        // (in_hw, k, stride, in_c, out_c, count)
        (230, 7, 2, 3, 64, 1),
        (56, 1, 1, 64, 64, 1), (56, 3, 1, 64, 64, 3), (56, 1, 1, 64, 256, 4), (56, 1, 1, 256, 64, 2),
        (56, 1, 2, 256, 128, 1), (56, 1, 2, 256, 512, 1), (28, 3, 1, 128, 128, 4),
        (28, 1, 1, 128, 512, 4), (28, 1, 1, 512, 128, 3),
        (28, 1, 2, 512, 256, 1), (28, 1, 2, 512, 1024, 1), (14, 3, 1, 256, 256, 6),
        (14, 1, 1, 256, 1024, 6), (14, 1, 1, 1024, 256, 5),
        (14, 1, 2, 1024, 512, 1), (14, 1, 2, 1024, 2048, 1), (7, 3, 1, 512, 512, 3),
        (7, 1, 1, 512, 2048, 3), (7, 1, 1, 2048, 512, 2),
    ];
    let (mut total, mut total_flops) = (0.0, 0.0);
    for &(hw, k, stride, in_c, out_c, count) in layers {
        let padding = if k == 3 {
            Padding::Same
        } else {
            Padding::Valid
        };
        let g = Conv2dGeometry::new(
            [1, hw, hw, in_c],
            [k, k, in_c, out_c],
            [stride, stride],
            [1, 1],
            padding,
        )
        .unwrap();
        let input = data(hw * hw * in_c);
        let filter = data(k * k * in_c * out_c);
        let mut out = vec![0f32; g.out_h * g.out_w * out_c];
        let flops = 2.0 * (g.out_h * g.out_w * out_c * k * k * in_c) as f64;
        let t = best_time(|| conv2d_nhwc_f32(&g, &input, &filter, &mut out).unwrap());
        report(
            &format!("resnet50 {hw}x{hw} {k}x{k}/{stride} {in_c}->{out_c} x{count}"),
            flops,
            t,
        );
        total += t.as_secs_f64() * count as f64;
        total_flops += flops * count as f64;
    }
    println!(
        "resnet50 convolutions: {:.2} ms, {:.1} GFLOP/s",
        total * 1e3,
        total_flops / total / 1e9
    );
}
