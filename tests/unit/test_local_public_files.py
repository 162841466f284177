"""Which buckets the local gateway serves without a key: those the template's policy opens."""

from __future__ import annotations

from pathlib import Path

from audiofn_local.public_files import public_read_buckets

ROOT = Path(__file__).resolve().parents[2]


def test_the_templates_public_bucket_is_served_whole():
    (public,) = public_read_buckets(ROOT / "template.yaml")

    assert public.logical_id == "PublicBucket"
    assert public.allows("org/script/token/news.mp3")


def test_only_the_keys_and_grants_of_a_public_read_statement_count(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(
        """
Resources:
  Files:
    Type: AWS::S3::Bucket
  Private:
    Type: AWS::S3::Bucket
  FilesPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Files
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: "*"}
            Action: [s3:GetObject]
            Resource: !Sub "${Files.Arn}/published/*"
  PrivatePolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Private
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: s3:GetObject
            Resource: !Sub "${Private.Arn}/*"
"""
    )

    (public,) = public_read_buckets(template)

    assert public.logical_id == "Files"
    assert public.allows("published/a.mp3")
    assert not public.allows("drafts/a.mp3")
