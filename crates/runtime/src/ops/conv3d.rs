//! 3-D convolutions on f32, f64 and f16/bf16 (computed in f32), NDHWC with
//! DHWIO filters: Conv3D and
//! Conv3DBackpropInputV2 (Keras `Conv3DTranspose`; `input_sizes` is the
//! int32/int64 shape of the result). Attributes: `strides`, `dilations`
//! (5 entries, batch and channel 1), `padding` SAME or VALID.

use savedmodel_kernels::conv::{Conv3dGeometry, DimPadding};
use savedmodel_tensor::{DType, Tensor};

use crate::attrs::Attrs;
use crate::op::{input, one, Op, OpContext};
use crate::ops::common::{checked_count, kernel_err, same_type, usize_vec};
use crate::ops::nn::{nhwc, widen_halves, ConvElem};
use crate::registry::Registry;
use crate::value::Value;

fn dims5(t: &Tensor, what: &str) -> Result<[usize; 5], String> {
    t.shape()
        .try_into()
        .map_err(|_| format!("{what} must be rank 5, got {:?}", t.shape()))
}

#[derive(Debug)]
struct Conv3d {
    /// Conv3DBackpropInputV2 rather than Conv3D.
    transpose: bool,
    strides: [usize; 3],
    dilations: [usize; 3],
    padding: DimPadding,
}

impl Conv3d {
    fn geometry(&self, input: [usize; 5], filter: [usize; 5]) -> Result<Conv3dGeometry, String> {
        Conv3dGeometry::new(
            input,
            filter,
            self.strides,
            self.dilations,
            [self.padding; 3],
        )
        .map_err(kernel_err)
    }
}

impl Conv3d {
    fn run<T: ConvElem>(&self, t: &[&Tensor], sizes: Option<[usize; 5]>) -> Result<Tensor, String> {
        let (data, filter) = (t[0].as_slice::<T>().map_err(err)?, t[1]);
        let f = same_type(data, filter)?;
        if let Some(sizes) = sizes {
            let geom = self.geometry(sizes, dims5(filter, "filter")?)?;
            let [b, d, h, w] = [geom.batch, geom.output[0], geom.output[1], geom.output[2]];
            if [b, d, h, w, geom.out_c] != dims5(t[0], "out_backprop")? {
                return Err(format!(
                    "out_backprop shape {:?} does not match the convolution",
                    t[0].shape()
                ));
            }
            let mut out = vec![T::ZERO; checked_count(&sizes)?];
            T::conv_transpose(&geom, data, f, &mut out).map_err(kernel_err)?;
            return Tensor::from_vec(sizes.to_vec(), out).map_err(err);
        }
        let geom = self.geometry(
            dims5(t[0], "Conv3D input")?,
            dims5(filter, "Conv3D filter")?,
        )?;
        let shape = vec![
            geom.batch,
            geom.output[0],
            geom.output[1],
            geom.output[2],
            geom.out_c,
        ];
        let mut out = vec![T::ZERO; checked_count(&shape)?];
        T::conv(&geom, data, f, &mut out).map_err(kernel_err)?;
        Tensor::from_vec(shape, out).map_err(err)
    }
}

fn err<E: ToString>(e: E) -> String {
    e.to_string()
}

impl Op for Conv3d {
    fn name(&self) -> &'static str {
        if self.transpose {
            "Conv3DBackpropInputV2"
        } else {
            "Conv3D"
        }
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let (data, filter, sizes) = if self.transpose {
            let sizes: [usize; 5] = usize_vec(input(inputs, 0)?, "input_sizes")?
                .try_into()
                .map_err(|_| "input_sizes must have 5 entries")?;
            (input(inputs, 2)?, input(inputs, 1)?, Some(sizes))
        } else {
            (input(inputs, 0)?, input(inputs, 1)?, None)
        };
        one(widen_halves(data, &[filter], |t, dtype| match dtype {
            DType::F32 => self.run::<f32>(t, sizes),
            DType::F64 => self.run::<f64>(t, sizes),
            other => Err(format!("3-D convolution on {other} is not supported")),
        })?)
    }
}

fn dhw(a: &Attrs<'_>, name: &str) -> Result<[usize; 3], String> {
    let v = a.ints_or(name, &[1, 1, 1, 1, 1])?;
    match v.as_slice() {
        [1, d, h, w, 1] => Ok([*d, *h, *w].map(|x| usize::try_from(x).unwrap_or(0))),
        _ => Err(format!(
            "{name} {v:?}: only NDHWC with batch and channel 1 are supported"
        )),
    }
}

fn build(a: &Attrs<'_>, transpose: bool) -> Result<Box<dyn Op>, String> {
    nhwc(a)?;
    let padding = match a.padding()?.as_str() {
        "SAME" => DimPadding::Same,
        "VALID" => DimPadding::Valid,
        other => return Err(format!("padding {other} is not supported for 3-D ops")),
    };
    Ok(Box::new(Conv3d {
        transpose,
        strides: dhw(a, "strides")?,
        dilations: dhw(a, "dilations")?,
        padding,
    }))
}

/// Registers the 3-D convolutions.
pub fn register(r: &mut Registry) {
    r.add("Conv3D", |a| build(a, false));
    r.add("Conv3DBackpropInputV2", |a| build(a, true));
}
