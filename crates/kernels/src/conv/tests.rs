use proptest::prelude::*;

use super::*;

fn values(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % 9) as f32 - 4.0
        })
        .collect()
}

/// Input index read by output position `o`, tap `k` in one dimension.
fn source(
    o: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    pad: usize,
    size: usize,
) -> Option<usize> {
    let i = (o * stride + k * dilation) as isize - pad as isize;
    (i >= 0 && (i as usize) < size).then_some(i as usize)
}

/// Naive grouped 3-D convolution, straight from the definition.
fn naive_conv3d(g: &Conv3dGeometry, input: &[f32], filter: &[f32]) -> Vec<f32> {
    let cig = g.in_c / g.groups;
    let cog = g.out_c / g.groups;
    let [od, oh, ow] = g.output;
    let [kd, kh, kw] = g.kernel;
    let mut out = vec![0f32; g.batch * od * oh * ow * g.out_c];
    for n in 0..g.batch {
        for (z, y, x) in itertools(od, oh, ow) {
            for oc in 0..g.out_c {
                let group = oc / cog;
                let mut acc = 0f32;
                for (a, b, c) in itertools(kd, kh, kw) {
                    let iz = source(
                        z,
                        a,
                        g.strides[0],
                        g.dilations[0],
                        g.pad_before[0],
                        g.input[0],
                    );
                    let iy = source(
                        y,
                        b,
                        g.strides[1],
                        g.dilations[1],
                        g.pad_before[1],
                        g.input[1],
                    );
                    let ix = source(
                        x,
                        c,
                        g.strides[2],
                        g.dilations[2],
                        g.pad_before[2],
                        g.input[2],
                    );
                    let (Some(iz), Some(iy), Some(ix)) = (iz, iy, ix) else {
                        continue;
                    };
                    for ci in 0..cig {
                        let iv = input[(((n * g.input[0] + iz) * g.input[1] + iy) * g.input[2]
                            + ix)
                            * g.in_c
                            + group * cig
                            + ci];
                        let fv = filter[(((a * kh + b) * kw + c) * cig + ci) * g.out_c + oc];
                        acc += iv * fv;
                    }
                }
                out[(((n * od + z) * oh + y) * ow + x) * g.out_c + oc] = acc;
            }
        }
    }
    out
}

/// Naive transposed convolution: scatter every gradient through every tap.
fn naive_transpose(g: &Conv3dGeometry, grads: &[f32], filter: &[f32]) -> Vec<f32> {
    let [od, oh, ow] = g.output;
    let [kd, kh, kw] = g.kernel;
    let mut out = vec![0f32; g.input_len().unwrap()];
    for n in 0..g.batch {
        for (z, y, x) in itertools(od, oh, ow) {
            for (a, b, c) in itertools(kd, kh, kw) {
                let iz = source(
                    z,
                    a,
                    g.strides[0],
                    g.dilations[0],
                    g.pad_before[0],
                    g.input[0],
                );
                let iy = source(
                    y,
                    b,
                    g.strides[1],
                    g.dilations[1],
                    g.pad_before[1],
                    g.input[1],
                );
                let ix = source(
                    x,
                    c,
                    g.strides[2],
                    g.dilations[2],
                    g.pad_before[2],
                    g.input[2],
                );
                let (Some(iz), Some(iy), Some(ix)) = (iz, iy, ix) else {
                    continue;
                };
                for ci in 0..g.in_c {
                    for co in 0..g.out_c {
                        let gv = grads[(((n * od + z) * oh + y) * ow + x) * g.out_c + co];
                        let fv = filter[(((a * kh + b) * kw + c) * g.in_c + ci) * g.out_c + co];
                        out[(((n * g.input[0] + iz) * g.input[1] + iy) * g.input[2] + ix)
                            * g.in_c
                            + ci] += gv * fv;
                    }
                }
            }
        }
    }
    out
}

fn itertools(a: usize, b: usize, c: usize) -> impl Iterator<Item = (usize, usize, usize)> {
    (0..a).flat_map(move |i| (0..b).flat_map(move |j| (0..c).map(move |k| (i, j, k))))
}

fn padding() -> impl Strategy<Value = Padding> {
    prop_oneof![
        Just(Padding::Valid),
        Just(Padding::Same),
        (0usize..3, 0usize..3, 0usize..3, 0usize..3).prop_map(|(top, bottom, left, right)| {
            Padding::Explicit {
                top,
                bottom,
                left,
                right,
            }
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn conv2d_matches_naive(
        batch in 1usize..3, h in 1usize..9, w in 1usize..9, groups in 1usize..3, cig in 1usize..4,
        cog in 1usize..5, kh in 1usize..4, kw in 1usize..4, sh in 1usize..3, sw in 1usize..3,
        dh in 1usize..3, dw in 1usize..3, pad in padding(), seed in any::<u64>(),
    ) {
        let Ok(g) = Conv2dGeometry::new(
            [batch, h, w, cig * groups], [kh, kw, cig, cog * groups], [sh, sw], [dh, dw], pad,
        ) else { return Ok(()) };
        let g3 = g.to_3d();
        let input = values(g3.input_len().unwrap(), seed);
        let filter = values(g3.filter_len().unwrap(), seed ^ 1);
        let mut out = vec![f32::NAN; g3.output_len().unwrap()];
        conv2d_nhwc_f32(&g, &input, &filter, &mut out).unwrap();
        prop_assert_eq!(out, naive_conv3d(&g3, &input, &filter));
    }

    #[test]
    fn depthwise_matches_grouped_naive(
        batch in 1usize..3, h in 1usize..9, w in 1usize..9, c in 1usize..5, mult in 1usize..4,
        kh in 1usize..4, kw in 1usize..4, sh in 1usize..3, sw in 1usize..3,
        dh in 1usize..3, dw in 1usize..3, pad in padding(), seed in any::<u64>(),
    ) {
        let Ok(g) = Conv2dGeometry::depthwise([batch, h, w, c], [kh, kw, c, mult], [sh, sw], [dh, dw], pad)
        else { return Ok(()) };
        let g3 = g.to_3d();
        let input = values(g3.input_len().unwrap(), seed);
        let filter = values(kh * kw * c * mult, seed ^ 2);
        let mut out = vec![f32::NAN; g3.output_len().unwrap()];
        depthwise_conv2d_nhwc_f32(&g, mult, &input, &filter, &mut out).unwrap();
        prop_assert_eq!(out, naive_conv3d(&g3, &input, &filter));
    }

    #[test]
    fn depthwise_f32_build_matches_portable_build_and_post_covers_rows(
        h in 1usize..12, w in 1usize..12, c in 1usize..40, mult in 1usize..3,
        k in 1usize..4, s in 1usize..3, pad in padding(), seed in any::<u64>(),
    ) {
        let Ok(g) = Conv2dGeometry::depthwise([2, h, w, c], [k, k, c, mult], [s, s], [1, 1], pad)
        else { return Ok(()) };
        let input = values(g.to_3d().input_len().unwrap(), seed);
        let filter = values(k * k * c * mult, seed ^ 3);
        let mut portable = vec![f32::NAN; g.to_3d().output_len().unwrap()];
        depthwise_conv2d_nhwc(&g, mult, &input, &filter, &mut portable).unwrap();
        let seen = std::sync::Mutex::new(vec![0u8; portable.len()]);
        let post = |start: usize, part: &mut [f32]| {
            assert_eq!(start % g.out_c, 0);
            assert_eq!(part.len() % g.out_c, 0);
            seen.lock().unwrap()[start..start + part.len()].iter_mut().for_each(|v| *v += 1);
            part.iter_mut().for_each(|v| *v = *v * 2.0 + 1.0);
        };
        let mut fused = vec![f32::NAN; portable.len()];
        depthwise_conv2d_nhwc_f32_then(&g, mult, (&input, &filter, &mut fused), &post).unwrap();
        prop_assert!(seen.into_inner().unwrap().iter().all(|&v| v == 1));
        let expected: Vec<f32> = portable.iter().map(|v| v * 2.0 + 1.0).collect();
        prop_assert_eq!(fused, expected);
    }

    #[test]
    fn conv_post_runs_once_per_element_on_channel_aligned_parts(
        h in 1usize..40, w in 1usize..40, ci in 1usize..6, co in 1usize..9,
        k in 1usize..4, s in 1usize..3, seed in any::<u64>(),
    ) {
        let Ok(g) = Conv2dGeometry::new([1, h, w, ci], [k, k, ci, co], [s, s], [1, 1], Padding::Same)
        else { return Ok(()) };
        let g3 = g.to_3d();
        let input = values(g3.input_len().unwrap(), seed);
        let filter = values(g3.filter_len().unwrap(), seed ^ 4);
        let seen = std::sync::Mutex::new(vec![0u8; g3.output_len().unwrap()]);
        let post = |start: usize, part: &mut [f32]| {
            assert_eq!(start % co, 0);
            assert_eq!(part.len() % co, 0);
            seen.lock().unwrap()[start..start + part.len()].iter_mut().for_each(|v| *v += 1);
            part.iter_mut().for_each(|v| *v -= 0.5);
        };
        let mut out = vec![f32::NAN; g3.output_len().unwrap()];
        conv3d_ndhwc_then(&g3, (&input, &filter, &mut out), &post).unwrap();
        prop_assert!(seen.into_inner().unwrap().iter().all(|&v| v == 1));
        let expected: Vec<f32> = naive_conv3d(&g3, &input, &filter).iter().map(|v| v - 0.5).collect();
        prop_assert_eq!(out, expected);
    }

    #[test]
    fn conv2d_transpose_matches_naive(
        batch in 1usize..3, h in 1usize..9, w in 1usize..9, ci in 1usize..4, co in 1usize..4,
        kh in 1usize..4, kw in 1usize..4, sh in 1usize..4, sw in 1usize..4,
        dh in 1usize..3, dw in 1usize..3, pad in padding(), seed in any::<u64>(),
    ) {
        let Ok(g) = Conv2dGeometry::new([batch, h, w, ci], [kh, kw, ci, co], [sh, sw], [dh, dw], pad)
        else { return Ok(()) };
        let g3 = g.to_3d();
        let grads = values(g3.output_len().unwrap(), seed);
        let filter = values(g3.filter_len().unwrap(), seed ^ 3);
        let mut out = vec![f32::NAN; g3.input_len().unwrap()];
        conv2d_transpose_nhwc_f32(&g, &grads, &filter, &mut out).unwrap();
        prop_assert_eq!(out, naive_transpose(&g3, &grads, &filter));
    }

    #[test]
    fn grouped_transpose_is_adjoint_of_conv(
        h in 1usize..8, w in 1usize..8, groups in 1usize..4, cig in 1usize..3, cog in 1usize..3,
        k in 1usize..4, s in 1usize..3, d in 1usize..3, pad in padding(), seed in any::<u64>(),
    ) {
        let Ok(g) = Conv2dGeometry::new(
            [2, h, w, cig * groups], [k, k, cig, cog * groups], [s, s], [d, 1], pad,
        ) else { return Ok(()) };
        let g3 = g.to_3d();
        let x = values(g3.input_len().unwrap(), seed);
        let y = values(g3.output_len().unwrap(), seed ^ 5);
        let filter = values(g3.filter_len().unwrap(), seed ^ 6);
        let mut conv = vec![0f32; y.len()];
        conv2d_nhwc_f32(&g, &x, &filter, &mut conv).unwrap();
        let mut back = vec![0f32; x.len()];
        conv2d_transpose_nhwc_f32(&g, &y, &filter, &mut back).unwrap();
        let lhs: f32 = conv.iter().zip(&y).map(|(a, b)| a * b).sum();
        let rhs: f32 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
        prop_assert_eq!(lhs, rhs);
    }

    #[test]
    fn direct_int_conv_and_transpose_match_naive(
        h in 1usize..7, w in 1usize..7, groups in 1usize..3, cig in 1usize..3, cog in 1usize..3,
        k in 1usize..4, s in 1usize..3, d in 1usize..3, pad in padding(), seed in any::<u64>(),
    ) {
        let Ok(g) = Conv2dGeometry::new(
            [2, h, w, cig * groups], [k, k, cig, cog * groups], [s, s], [d, 1], pad,
        ) else { return Ok(()) };
        let g3 = g.to_3d();
        let input = values(g3.input_len().unwrap(), seed);
        let filter = values(g3.filter_len().unwrap(), seed ^ 7);
        let ints = |v: &[f32]| v.iter().map(|&x| x as i32).collect::<Vec<i32>>();
        let mut out = vec![0i32; g3.output_len().unwrap()];
        conv2d_nhwc_direct(&g, &ints(&input), &ints(&filter), &mut out).unwrap();
        prop_assert_eq!(&out, &ints(&naive_conv3d(&g3, &input, &filter)));
        if groups == 1 {
            let grads = values(g3.output_len().unwrap(), seed ^ 8);
            let mut back = vec![0i32; g3.input_len().unwrap()];
            conv2d_transpose_nhwc_direct(&g, &ints(&grads), &ints(&filter), &mut back).unwrap();
            prop_assert_eq!(back, ints(&naive_transpose(&g3, &grads, &filter)));
        }
    }

    #[test]
    fn conv3d_and_transpose_match_naive(
        d in 1usize..5, h in 1usize..5, w in 1usize..5, ci in 1usize..3, co in 1usize..3,
        k in 1usize..3, s in 1usize..3, same in any::<bool>(), seed in any::<u64>(),
    ) {
        let p = if same { DimPadding::Same } else { DimPadding::Valid };
        let Ok(g) = Conv3dGeometry::new([2, d, h, w, ci], [k, k + 1, k, ci, co], [s, 1, s], [1, 1, 1], [p; 3])
        else { return Ok(()) };
        let input = values(g.input_len().unwrap(), seed);
        let filter = values(g.filter_len().unwrap(), seed ^ 4);
        let mut out = vec![f32::NAN; g.output_len().unwrap()];
        conv3d_ndhwc_f32(&g, &input, &filter, &mut out).unwrap();
        prop_assert_eq!(&out, &naive_conv3d(&g, &input, &filter));
        let mut back = vec![f32::NAN; g.input_len().unwrap()];
        conv3d_transpose_ndhwc_f32(&g, &out, &filter, &mut back).unwrap();
        prop_assert_eq!(back, naive_transpose(&g, &out, &filter));
    }
}

#[test]
fn tf_padding_rules() {
    assert_eq!(
        output_size_and_pad(5, 3, 2, 1, DimPadding::Same).unwrap(),
        (3, 1)
    );
    assert_eq!(
        output_size_and_pad(4, 3, 2, 1, DimPadding::Same).unwrap(),
        (2, 0)
    );
    assert_eq!(
        output_size_and_pad(4, 4, 1, 1, DimPadding::Same).unwrap(),
        (4, 1)
    );
    assert_eq!(
        output_size_and_pad(5, 3, 2, 1, DimPadding::Valid).unwrap(),
        (2, 0)
    );
    assert_eq!(
        output_size_and_pad(7, 3, 1, 2, DimPadding::Valid).unwrap(),
        (3, 0)
    );
    assert_eq!(
        output_size_and_pad(7, 3, 1, 2, DimPadding::Same).unwrap(),
        (7, 2)
    );
    let explicit = DimPadding::Explicit {
        before: 1,
        after: 2,
    };
    assert_eq!(output_size_and_pad(5, 3, 2, 1, explicit).unwrap(), (3, 1));
    assert_eq!(
        output_size_and_pad(1, 4, 2, 1, DimPadding::Valid).unwrap(),
        (0, 0)
    );
    let err = output_size_and_pad(1, 3, 1, 1, DimPadding::Valid).unwrap_err();
    assert!(err.to_string().contains("negative: -1"), "{err}");
    assert!(output_size_and_pad(4, 3, 0, 1, DimPadding::Same).is_err());
    assert!(
        Conv2dGeometry::new([1, 4, 4, 3], [3, 3, 2, 4], [1, 1], [1, 1], Padding::Same).is_err()
    );
}

#[test]
fn pointwise_and_tiled_large_cases() {
    let g = Conv2dGeometry::new(
        [2, 17, 19, 24],
        [1, 1, 24, 40],
        [1, 1],
        [1, 1],
        Padding::Valid,
    )
    .unwrap();
    let g3 = g.to_3d();
    let input = values(g3.input_len().unwrap(), 5);
    let filter = values(g3.filter_len().unwrap(), 6);
    let mut out = vec![0f32; g3.output_len().unwrap()];
    conv2d_nhwc_f32(&g, &input, &filter, &mut out).unwrap();
    assert_eq!(out, naive_conv3d(&g3, &input, &filter));
    let g = Conv2dGeometry::new(
        [1, 30, 30, 16],
        [3, 3, 8, 32],
        [1, 1],
        [1, 1],
        Padding::Same,
    )
    .unwrap();
    let g3 = g.to_3d();
    let input = values(g3.input_len().unwrap(), 7);
    let filter = values(g3.filter_len().unwrap(), 8);
    let mut out = vec![0f32; g3.output_len().unwrap()];
    conv2d_nhwc_f32(&g, &input, &filter, &mut out).unwrap();
    assert_eq!(out, naive_conv3d(&g3, &input, &filter));
}

#[test]
fn transpose_in_image_chunks() {
    // 64×64×128 results with 3×3 taps exceed one column buffer: one image per chunk.
    let g = Conv2dGeometry::new(
        [2, 64, 64, 128],
        [3, 3, 128, 4],
        [1, 1],
        [1, 1],
        Padding::Same,
    )
    .unwrap();
    let g3 = g.to_3d();
    let grads = values(g3.output_len().unwrap(), 9);
    let filter = values(g3.filter_len().unwrap(), 10);
    let mut out = vec![0f32; g3.input_len().unwrap()];
    conv2d_transpose_nhwc_f32(&g, &grads, &filter, &mut out).unwrap();
    assert_eq!(out, naive_transpose(&g3, &grads, &filter));
}

#[test]
fn transpose_hand_example() {
    // 2×2 ones filter, stride 2, VALID: each gradient fills its 2×2 block.
    let g =
        Conv2dGeometry::new([1, 4, 4, 1], [2, 2, 1, 1], [2, 2], [1, 1], Padding::Valid).unwrap();
    let mut out = vec![0f32; 16];
    conv2d_transpose_nhwc_f32(&g, &[1.0, 2.0, 3.0, 4.0], &[1.0; 4], &mut out).unwrap();
    let want = [
        1., 1., 2., 2., 1., 1., 2., 2., 3., 3., 4., 4., 3., 3., 4., 4.,
    ];
    assert_eq!(out, want);
    let err = conv2d_transpose_nhwc_f32(&g, &[1.0; 3], &[1.0; 4], &mut out).unwrap_err();
    assert!(
        err.to_string().contains("expected 4 elements, got 3"),
        "{err}"
    );
}

#[test]
fn conv_post_on_tiled_output_matches_conv_then_post() {
    // 200×200 outputs × 288-wide rows exceed one im2col tile: the parallel
    // tiled path runs `post` per tile.
    let g = Conv2dGeometry::new(
        [1, 200, 200, 32],
        [3, 3, 32, 4],
        [1, 1],
        [1, 1],
        Padding::Same,
    )
    .unwrap();
    let g3 = g.to_3d();
    let input = values(g3.input_len().unwrap(), 11);
    let filter = values(g3.filter_len().unwrap(), 12);
    let mut plain = vec![0f32; g3.output_len().unwrap()];
    conv2d_nhwc_f32(&g, &input, &filter, &mut plain).unwrap();
    let parts = std::sync::atomic::AtomicUsize::new(0);
    let post = |start: usize, part: &mut [f32]| {
        assert_eq!(start % 4, 0);
        parts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        part.iter_mut().for_each(|v| *v = v.max(0.0));
    };
    let mut fused = vec![f32::NAN; plain.len()];
    conv3d_ndhwc_then(&g3, (&input, &filter, &mut fused), &post).unwrap();
    assert!(parts.into_inner() > 1);
    let expected: Vec<f32> = plain.iter().map(|v| v.max(0.0)).collect();
    assert_eq!(fused, expected);
}

#[test]
fn few_row_convolutions_split_by_columns_match_naive() {
    // Late-layer shapes: few output rows, many channels (the column-block
    // path when more than one thread runs), pointwise and gathered, with an
    // output depth that is not a multiple of the block alignment.
    for (hw, k, stride, ci, co) in [(7, 1, 1, 64, 300), (14, 1, 2, 96, 256), (9, 3, 1, 48, 130)] {
        let padding = if k == 3 {
            Padding::Same
        } else {
            Padding::Valid
        };
        let g = Conv2dGeometry::new(
            [1, hw, hw, ci],
            [k, k, ci, co],
            [stride, stride],
            [1, 1],
            padding,
        )
        .unwrap();
        let g3 = g.to_3d();
        let input = values(g3.input_len().unwrap(), 21);
        let filter = values(g3.filter_len().unwrap(), 22);
        let mut out = vec![f32::NAN; g3.output_len().unwrap()];
        conv2d_nhwc_f32(&g, &input, &filter, &mut out).unwrap();
        assert_eq!(
            out,
            naive_conv3d(&g3, &input, &filter),
            "{hw}x{hw} {k}x{k}/{stride} {ci}->{co}"
        );
    }
}
